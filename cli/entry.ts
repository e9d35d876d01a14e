import { main } from './main.js';

const code = await main(process.argv);
// Open sockets (S3 keep-alive) must not keep a finished job alive; stdio is flushed first.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
