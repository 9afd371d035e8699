const { execFileSync } = require('node:child_process');
const path = require('node:path');

/** Builds every workspace and the launcher, exactly as `npm start` does first. */
module.exports = () => {
  const npm = process.env.npm_execpath;
  const [command, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  execFileSync(command, [...args, 'run', '--silent', 'build'], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'ignore', 'inherit'] });
};
