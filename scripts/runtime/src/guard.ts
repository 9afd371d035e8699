// `node guard.js <command> <args…>`: stops the command when the launcher's IPC channel closes, the launcher gone even SIGKILLed.
// The launcher signals this process's whole group, so the command gets each signal itself.
import { spawn } from 'node:child_process';
import os from 'node:os';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});
const stop = () => {
  process.kill(0, 'SIGTERM'); // 0: this process's group
  setTimeout(() => process.kill(0, 'SIGKILL'), 5000);
};
if (process.connected) process.send!({ pid: child.pid });
else stop(); // the launcher died as this started
child.on('error', (err) => {
  console.error(`cannot start ${command}: ${err.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
process.on('disconnect', stop);
