import '../lib/adapters/local/polyfills.js';
