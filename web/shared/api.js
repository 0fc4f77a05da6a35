// The HTTP API as the browser apps use it: a bearer token kept per app, JSON in and out, and
// errors as {status, code, message} so that callers can tell a refusal from a lost network.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    /** Seconds to wait before sending again (a 429's Retry-After). */
    this.retryAfter = retryAfter;
  }

  /** The server never answered: offline, or the request was cut off. */
  get network() {
    return this.status === 0;
  }
}

export class Api {
  constructor(app) {
    this.key = `xunjiu.${app}.session`;
  }

  get session() {
    try {
      return JSON.parse(localStorage.getItem(this.key));
    } catch {
      return null;
    }
  }

  get user() {
    return this.session?.user ?? null;
  }

  async login(username, password) {
    const answer = await this.request('POST', '/api/v1/auth/login', { username, password });
    localStorage.setItem(this.key, JSON.stringify({ token: answer.token, user: answer.user }));
    return answer.user;
  }

  async logout() {
    try {
      await this.request('POST', '/api/v1/auth/logout');
    } finally {
      localStorage.removeItem(this.key);
    }
  }

  headers(extra = {}) {
    const headers = { ...extra };
    const token = this.session?.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  /** JSON request; throws ApiError. */
  async request(method, path, body) {
    const response = await this.fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    return response.json();
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body = {}) {
    return this.request('POST', path, body);
  }

  delete(path, body) {
    return this.request('DELETE', path, body);
  }

  /** A file download that needs the token: fetched, then handed to the browser to save. */
  async download(path, filename) {
    const response = await this.fetch(path, { headers: this.headers() });
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement('a'), { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async fetch(path, init) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, 'network', String(err?.message ?? err));
    }
    if (response.ok) return response;
    let code = 'http_' + response.status;
    let message = response.statusText;
    try {
      const body = await response.json();
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // Not our JSON error (a proxy, say): keep the status line.
    }
    if (response.status === 401) localStorage.removeItem(this.key);
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    throw new ApiError(response.status, code, message, retryAfter);
  }
}

/** Random v4 UUID; `crypto.randomUUID` needs a secure context, which a LAN address is not. */
export function uuid() {
  if (crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Great-circle distance in metres; good enough to sort and to estimate offline. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}
