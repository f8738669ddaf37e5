import { isIP } from 'node:net';

/** A parsed `host:port`; IPv6 hosts are kept without their brackets. */
export interface HostPort {
  host: string;
  port: number;
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
  // An all-numeric dotted name is a malformed IPv4 address, not a host name.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => DNS_LABEL.test(l));
}

/**
 * Parses `host:port` with an IPv4 address, a bracketed IPv6 address or a DNS name, and a port
 * in 1..65535. Returns a reason instead of throwing so callers can word their own errors.
 */
export function parseHostPort(value: string): HostPort | { error: string } {
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') {
      return { error: `"${value}" is not [ipv6]:port` };
    }
    host = value.slice(1, close);
    portText = value.slice(close + 2);
    if (isIP(host) !== 6) return { error: `"${host}" is not an IPv6 address` };
  } else {
    const colon = value.lastIndexOf(':');
    if (colon <= 0) return { error: `"${value}" is not host:port` };
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) return { error: `"${value}": an IPv6 host must be in brackets` };
    if (isIP(host) !== 4 && !isDnsName(host)) {
      return { error: `"${host}" is neither an IPv4 address nor a DNS name` };
    }
  }
  if (!/^\d{1,5}$/.test(portText)) return { error: `port "${portText}" is not a number` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { error: `port ${port} is outside 1-65535` };
  return { host, port };
}

export function isHostPortError(v: HostPort | { error: string }): v is { error: string } {
  return 'error' in v;
}

/** Formats a host for a URL or an address: IPv6 goes in brackets. */
export function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
