import { adminMain } from './main.js';

const code = await adminMain(process.argv);
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
