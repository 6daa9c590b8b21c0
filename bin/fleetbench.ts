/** CLI entry point. */
// The SDK's notice about its Node 22 requirement from 2027 is not actionable here: the lockfile pins it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { main } = await import('../lib/cli/program.js');

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Exit even if a library left a handle open; unref'd, so a clean shutdown is not delayed.
setTimeout(() => process.exit(code), 500).unref();
