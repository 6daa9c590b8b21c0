/** CLI entry point. */
// The SDK's notice about its Node 22 requirement from 2027 is not actionable here: the lockfile pins it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { main } = await import('../lib/cli/program.js');
const { endProcess } = await import('../lib/cli/process-exit.js');

// 130 and 141 end the process by SIGINT and SIGPIPE, as shells expect; see process-exit.ts.
endProcess(await main(process.argv.slice(2)));
