import { runCli } from './index.ts';

const stopSignal = new Promise<string>((resolve) => {
  const onSignal = (signal: NodeJS.Signals): void => {
    resolve(signal);
    // A second Ctrl-C means "now": the attached broker still dies with us (parent-death signal).
    process.once(signal, () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
});

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  untilStopped: () => stopSignal,
});
process.exitCode = code;
// A part a shutdown went on without (stopWithin) may still hold a socket or a thread; the
// command is done, so the process ends shortly even if the event loop is not empty.
setTimeout(() => process.exit(code), 2_000).unref();
