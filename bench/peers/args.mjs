// The command line both Node peers share: --address A --port N
// [--max-peers N] [--tls-cert FILE --tls-key FILE] [--redis URL] (the socket.io
// server only: scaled out on that Redis with @socket.io/redis-adapter).
export function parseArgs(argv) {
  const options = { address: '127.0.0.1', port: 0, maxPeers: 2, tlsCert: '', tlsKey: '', redis: '' };
  const names = {
    '--address': 'address', '--port': 'port', '--max-peers': 'maxPeers',
    '--tls-cert': 'tlsCert', '--tls-key': 'tlsKey', '--redis': 'redis',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    options[key] = typeof options[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return options;
}

// Same line as parleyd and the bare relays, so bench/run finds the port alike.
export function announce(server, address) {
  process.stderr.write(`listening on ${address}:${server.address().port}\n`);
}

export function stopOnSignals(server) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.close();
      process.exit(0);
    });
  }
}
