import { reexecWithHeapFlags } from './heap-flags.js';

// Before anything heavy is loaded: the re-exec starts from scratch.
reexecWithHeapFlags();
const { main } = await import('./main.js');
const code = await main(process.argv);
// Open sockets (S3 keep-alive) must not keep a finished job alive; stdio is flushed first.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
