// Starts the web app. It is an external module rather than Trunk's inline loader, so that the
// server's Content-Security-Policy can forbid inline scripts (script-src 'self').
const boot = document.querySelector('script[data-nagare-js]');
const { default: init } = await import(boot.dataset.nagareJs);
await init({ module_or_path: boot.dataset.nagareWasm });
