// Preloaded (`node --import`) into every server process the benchmark starts: a TCP listen on all
// interfaces (no host, 0.0.0.0 or ::) binds to 127.0.0.1 instead, so nothing the benchmark runs is
// reachable from outside this machine. The Sluice services other than the gateway and the Portkey
// gateway have no setting for their listen address; this changes nothing else.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const ANY = new Set([undefined, null, '', '0.0.0.0', '::', '[::]']);
const isPort = (value) => typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (isPort(args[0])) {
    // listen(port[, host][, backlog][, callback])
    if (args.length === 1 || typeof args[1] === 'function' || typeof args[1] === 'number') args.splice(1, 0, LOOPBACK);
    else if (ANY.has(args[1])) args[1] = LOOPBACK;
  } else if (
    args[0] &&
    typeof args[0] === 'object' &&
    !(args[0] instanceof net.Server) &&
    args[0].path === undefined &&
    args[0].fd === undefined &&
    args[0]._handle === undefined
  ) {
    // listen(options[, callback])
    if (ANY.has(args[0].host)) args[0] = { ...args[0], host: LOOPBACK };
  }
  return listen.apply(this, args);
};
