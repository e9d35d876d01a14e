// A stand-in for a training job: what a small PyTorch-style run prints — text logs, JSON metrics
// (pino-style), a warning on stderr, an error and a traceback. Deterministic; takes ~2 s.
const STEPS = Number(process.argv[2] ?? 2000);
const start = Date.parse('2026-11-25T10:00:00.000Z');
const traceId = (process.env.TRACEPARENT ?? '').split('-')[1];
const stamp = (step) => new Date(start + step * 40).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

console.log(`${stamp(0)} INFO trainer: starting on 8 GPUs`);
for (let step = 1; step < STEPS; step++) {
  const loss = (2.5 * Math.exp(-step / 700) + 0.05).toFixed(4);
  if (step % 50 === 0)
    console.log(JSON.stringify({ level: 30, time: start + step * 40, msg: 'metrics', step, loss: Number(loss), lr: 3e-4, trace_id: traceId }));
  else if (step === 777) console.error(`${stamp(step)} WARNING torch.cuda: memory fragmentation above 30%`);
  else if (step === STEPS - 3) {
    console.error(`${stamp(step)} ERROR trainer: rank 3 stopped responding`);
    console.error('Traceback (most recent call last):\n  File "train.py", line 88, in <module>');
    step += 2;
  } else console.log(`${stamp(step)} INFO trainer: epoch ${Math.floor(step / 500)} step ${step} loss=${loss}`);
  if (step % 250 === 0) await sleep(250);
}
