// SPDX-License-Identifier: BSD-2-Clause
// rdd against an independent CoAP implementation: node-coap (npm "coap").
//
// Usage: node rdd-interop.mjs coap://127.0.0.1:PORT [coap://[::1]:PORT]
//
// Node devices, each on its own UDP socket (so each has its own source
// address, the base rdd must record), discover the RD, register, look up
// through both lookup interfaces with filters (paging, JSON, a Block2-sized
// result), get errors, observe lookups and get notified when other
// registrations change the result (registration, update, DELETE, expiry),
// re-register, use simple registration (rdd GETs /.well-known/core from a
// node-coap server), register over IPv6 when given, and DELETE. Prints one
// "ok - ..." or "FAIL - ..." line per check and exits 0 when all passed,
// 1 otherwise (99 on a bad command line).

import dgram from 'node:dgram';
import coap from 'coap';

const REQUEST_MS = 10000; // one request, response included
const NOTIFY_MS = 5000; // a notification that must come
const QUIET_MS = 700; // how long "no notification" is watched
const TOTAL_MS = 100000; // the whole run

let passes = 0;
let fails = 0;

function check(desc, cond, ...details) {
	if (cond) {
		passes++;
		console.log(`ok - ${desc}`);
	} else {
		fails++;
		console.log(`FAIL - ${desc}`);
		for (const d of details) console.log(`    ${d}`);
	}
	return cond;
}

function eq(desc, expected, got) {
	return check(desc, expected === got, `expected: [${expected}]`, `got:      [${got}]`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------ link format

// RFC 6690 link-format into [{href, attrs}], attrs[name] = value (a string,
// unquoted) or true for a flag without value. Throws on a syntax error.
function parseLinks(text) {
	const s = text.trim();
	const links = [];
	let i = 0;
	while (i < s.length) {
		if (s[i] !== '<') throw new Error(`expected '<' at offset ${i} of [${s}]`);
		const end = s.indexOf('>', i);
		if (end < 0) throw new Error(`no '>' after offset ${i} of [${s}]`);
		const link = { href: s.slice(i + 1, end), attrs: {} };
		i = end + 1;
		while (s[i] === ';') {
			i++;
			const m = /^[^=;,]+/.exec(s.slice(i));
			if (!m) throw new Error(`empty attribute name at offset ${i} of [${s}]`);
			const name = m[0];
			i += name.length;
			let value = true;
			if (s[i] === '=') {
				i++;
				if (s[i] === '"') {
					value = '';
					i++;
					while (i < s.length && s[i] !== '"') {
						if (s[i] === '\\') i++;
						value += s[i++];
					}
					if (s[i] !== '"') throw new Error(`unterminated quoted value in [${s}]`);
					i++;
				} else {
					const v = /^[^;,]*/.exec(s.slice(i))[0];
					value = v;
					i += v.length;
				}
			}
			if (!(name in link.attrs)) link.attrs[name] = value;
		}
		links.push(link);
		if (i < s.length) {
			if (s[i] !== ',') throw new Error(`expected ',' at offset ${i} of [${s}]`);
			i++;
		}
	}
	return links;
}

// The links of a response, or null (with a failed check) when unparsable.
function linksOf(desc, r) {
	try {
		return parseLinks(r.text);
	} catch (e) {
		check(`${desc}: the payload is link-format`, false, e.message);
		return null;
	}
}

const hrefs = (links) => (links ?? []).map((l) => l.href).sort();
const show = (r) => `${r.code} ct=${r.cf ?? '-'} [${r.text}]`;

// ------------------------------------------------------------ devices

const rd = new URL(process.argv[2] ?? '');
if (rd.protocol !== 'coap:' || !rd.port) {
	console.error('usage: node rdd-interop.mjs coap://HOST:PORT [coap://[::1]:PORT]');
	process.exit(99);
}
const rd6 = process.argv[3] ? new URL(process.argv[3]) : null;
const host = (u) => u.hostname.replace(/^\[(.*)\]$/, '$1');

const devices = [];

// A device: its own UDP socket with a node-coap Agent on it, and a record
// of every datagram the socket receives (for the message types).
async function device(name, family = 4) {
	const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
	await new Promise((resolve, reject) => {
		sock.once('error', reject);
		sock.bind(0, family === 6 ? '::1' : '127.0.0.1', () => {
			sock.off('error', reject);
			resolve();
		});
	});
	const port = sock.address().port;
	const dev = {
		name,
		sock,
		port,
		agent: new coap.Agent({ socket: sock }),
		base: family === 6 ? `coap://[::1]:${port}` : `coap://127.0.0.1:${port}`,
		target: family === 6 ? rd6 : rd,
		datagrams: []
	};
	sock.on('message', (msg) => {
		if (msg.length < 4) return;
		const tkl = msg[0] & 0x0f;
		dev.datagrams.push({
			type: ['CON', 'NON', 'ACK', 'RST'][(msg[0] >> 4) & 3],
			code: `${msg[1] >> 5}.${String(msg[1] & 0x1f).padStart(2, '0')}`,
			token: msg.subarray(4, 4 + tkl).toString('hex')
		});
	});
	dev.agent.on('error', () => {});
	devices.push(dev);
	return dev;
}

function response(res) {
	const opt = (name) => (res.options ?? []).filter((o) => o.name === name).map((o) => o.value);
	const cf = res.headers['Content-Format'];
	return {
		code: res.code,
		text: res.payload ? res.payload.toString('utf8') : '',
		cf: cf === undefined ? undefined : String(cf),
		location: opt('Location-Path').map((v) => '/' + v.toString()).join(''),
		observe: res.headers.Observe,
		res
	};
}

// req(dev, method, path, {query, payload, format, accept, observe}):
// resolves with the response (see response()); rejects after REQUEST_MS.
function req(dev, method, path, o = {}) {
	return new Promise((resolve, reject) => {
		const r = dev.agent.request({
			hostname: host(dev.target),
			port: Number(dev.target.port),
			method,
			pathname: path,
			query: o.query,
			observe: o.observe,
			accept: o.accept,
			contentFormat: o.format,
			retrySend: 2
		});
		const label = `${method} ${path}${o.query ? '?' + o.query : ''}`;
		const timer = setTimeout(() => {
			dev.agent.abort(r);
			reject(new Error(`no response to ${label} within ${REQUEST_MS / 1000} s`));
		}, REQUEST_MS);
		r.on('response', (res) => {
			clearTimeout(timer);
			const out = response(res);
			out.token = r._packet.token ? r._packet.token.toString('hex') : '';
			resolve(out);
		});
		r.on('error', (e) => {
			clearTimeout(timer);
			reject(new Error(`${label}: ${e.message}`));
		});
		r.on('timeout', (e) => {
			clearTimeout(timer);
			reject(new Error(`${label}: ${e.message}`));
		});
		if (o.payload !== undefined) r.write(o.payload);
		r.end();
	});
}

// An observation: resolves once the first response is in; then
// next(ms) gives the next notification's payload (or null after ms).
async function observe(dev, path, query) {
	const first = await req(dev, 'GET', path, { query, observe: true });
	const queue = [];
	const waiters = [];
	let seen = 0;
	const obs = { first, count: () => seen - 1 };
	if (first.res.on === undefined || first.res.append === undefined) {
		obs.next = async () => null;
		obs.cancel = () => {};
		return obs;
	}
	first.res.on('data', (chunk) => {
		seen++;
		if (seen === 1) return; // the first response itself
		const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
		const w = waiters.shift();
		if (w) w(text);
		else queue.push(text);
	});
	obs.next = (ms) =>
		new Promise((resolve) => {
			if (queue.length) return resolve(queue.shift());
			const t = setTimeout(() => {
				const k = waiters.indexOf(done);
				if (k >= 0) waiters.splice(k, 1);
				resolve(null);
			}, ms);
			const done = (text) => {
				clearTimeout(t);
				resolve(text);
			};
			waiters.push(done);
		});
	obs.cancel = () => first.res.close(true); // GET with Observe: 1
	return obs;
}

// Register: POST rd?query with a link-format body; the location or ''.
async function register(dev, query, body, desc) {
	const r = await req(dev, 'POST', paths.rd, { query, payload: body, format: 40 });
	check(`${desc}: 2.01 Created`, r.code === '2.01', show(r));
	check(`${desc}: Location-Path /reg/<id>`, /^\/reg\/[^/]+$/.test(r.location), `got: [${r.location}]`);
	return r.location;
}

// ------------------------------------------------------------ the run

const paths = { rd: '/rd', ep: '/rd-lookup/ep', res: '/rd-lookup/res' };

async function run() {
	const disco = await device('discovery');

	// 1. Discovery (RFC 9176 section 4): the three interfaces by rt.
	let r = await req(disco, 'GET', '/.well-known/core', { query: 'rt=core.rd*' });
	eq('GET /.well-known/core?rt=core.rd*: 2.05', '2.05', r.code);
	eq('/.well-known/core is application/link-format', 'application/link-format', r.cf);
	const wk = linksOf('/.well-known/core', r) ?? [];
	for (const [key, rt] of [
		['rd', 'core.rd'],
		['ep', 'core.rd-lookup-ep'],
		['res', 'core.rd-lookup-res']
	]) {
		const l = wk.find((x) => String(x.attrs.rt ?? '').split(' ').includes(rt));
		if (check(`discovery finds rt="${rt}"`, l !== undefined, show(r))) {
			paths[key] = l.href;
			check(`${rt} is offered as ct 40`, String(l.attrs.ct ?? '').split(' ').includes('40'),
				`link: <${l.href}> ${JSON.stringify(l.attrs)}`);
		}
	}
	eq('discovery with rt=core.rd* lists only the three RD interfaces', 3, wk.length);

	// 2. Registrations (RFC 9176 section 5.3), base from the source address.
	const a = await device('node-a');
	const b = await device('node-b');
	const candidate = '<coap://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"';
	const aBody = '</sensors/temp>;rt="temperature-c";if="core.s",</sensors/light>;rt="light-lux";obs,' + candidate;
	const locA = await register(a, 'ep=node-a&lt=60', aBody, 'POST rd?ep=node-a&lt=60');
	const locB = await register(b, 'ep=node-b&d=floor2&et=oic.d.sensor&lt=60',
		'</sensors/temp>;rt="temperature-c";ct=0', 'POST rd?ep=node-b&d=floor2&et=oic.d.sensor&lt=60');
	check('two registrations get two locations', locA !== locB, `both: [${locA}]`);

	r = await req(disco, 'GET', locA);
	eq(`GET ${locA}: 2.05`, '2.05', r.code);
	eq(`GET ${locA} is application/link-format`, 'application/link-format', r.cf);
	const regA = linksOf(`GET ${locA}`, r);
	eq(`GET ${locA} gives the registered links`,
		JSON.stringify(hrefs(parseLinks(aBody))), JSON.stringify(hrefs(regA)));
	const light = (regA ?? []).find((l) => l.href === '/sensors/light');
	check(`GET ${locA} keeps the attributes (rt="light-lux";obs)`,
		light && light.attrs.rt === 'light-lux' && light.attrs.obs === true, show(r));

	// Same ep and d again: same location, links replaced (section 5.3).
	const bBody2 = '</sensors/temp>;rt="temperature-c";ct=0,</sensors/hum>;rt="humidity"';
	r = await req(b, 'POST', paths.rd, { query: 'ep=node-b&d=floor2&et=oic.d.sensor&lt=60', payload: bBody2, format: 40 });
	eq('registering ep=node-b d=floor2 again: 2.01', '2.01', r.code);
	eq('registering ep=node-b d=floor2 again: the same location', locB, r.location);
	r = await req(disco, 'GET', locB);
	eq(`GET ${locB} has the replaced links`, JSON.stringify(['/sensors/hum', '/sensors/temp']),
		JSON.stringify(hrefs(linksOf(`GET ${locB}`, r))));

	// 3. Endpoint lookup (section 7.3) with filters.
	r = await req(disco, 'GET', paths.ep);
	eq(`GET ${paths.ep}: 2.05`, '2.05', r.code);
	eq(`GET ${paths.ep} is application/link-format`, 'application/link-format', r.cf);
	let eps = linksOf(`GET ${paths.ep}`, r) ?? [];
	eq(`GET ${paths.ep} lists both registrations`, JSON.stringify([locA, locB].sort()), JSON.stringify(hrefs(eps)));
	const epA = eps.find((l) => l.href === locA);
	const epB = eps.find((l) => l.href === locB);
	if (epA) {
		eq('node-a: ep="node-a"', 'node-a', epA.attrs.ep);
		eq('node-a: base is its source address (as node-coap sent from)', a.base, epA.attrs.base);
		eq('node-a: lt=60', '60', epA.attrs.lt);
		check('node-a: no d', epA.attrs.d === undefined, `got d=${epA.attrs.d}`);
	}
	if (epB) {
		eq('node-b: ep="node-b"', 'node-b', epB.attrs.ep);
		eq('node-b: d="floor2"', 'floor2', epB.attrs.d);
		eq('node-b: et="oic.d.sensor"', 'oic.d.sensor', epB.attrs.et);
		eq('node-b: base is its source address', b.base, epB.attrs.base);
	}
	for (const [query, want] of [
		['ep=node-a', [locA]],
		['d=floor2', [locB]],
		['ep=node-*', [locA, locB]],
		['et=oic.d.sensor', [locB]],
		['rt=light-lux', [locA]],
		['rt=humidity&d=floor2', [locB]],
		[`base=${b.base}`, [locB]],
		['ep=node-a&d=floor2', []],
		['ep=nobody', []]
	]) {
		r = await req(disco, 'GET', paths.ep, { query });
		eq(`GET ${paths.ep}?${query}: 2.05 with ${want.length} link(s)`,
			JSON.stringify(['2.05', [...want].sort()]), JSON.stringify([r.code, hrefs(linksOf(query, r))]));
	}

	// 4. Resource lookup (section 7.3): absolute targets and anchors.
	const tempA = `${a.base}/sensors/temp`;
	const tempB = `${b.base}/sensors/temp`;
	r = await req(disco, 'GET', paths.res, { query: 'rt=temperature-c' });
	eq(`GET ${paths.res}?rt=temperature-c: 2.05`, '2.05', r.code);
	eq(`GET ${paths.res} is application/link-format`, 'application/link-format', r.cf);
	let res = linksOf('rt=temperature-c', r) ?? [];
	eq('rt=temperature-c finds both devices\' links, absolute', JSON.stringify([tempA, tempB].sort()),
		JSON.stringify(hrefs(res)));
	for (const [dev, href] of [[a, tempA], [b, tempB]]) {
		const l = res.find((x) => x.href === href);
		if (l) {
			eq(`<${href}> has anchor="${dev.base}"`, dev.base, l.attrs.anchor);
			eq(`<${href}> keeps rt="temperature-c"`, 'temperature-c', l.attrs.rt);
		}
	}
	for (const [query, want] of [
		['rt=temperature-c&ep=node-b', [tempB]],
		['rt=light*', [`${a.base}/sensors/light`]],
		['if=core.s', [tempA]],
		['d=floor2', [tempB, `${b.base}/sensors/hum`]],
		[`href=${tempA}`, [tempA]],
		[`href=${a.base}/sensors/l*`, [`${a.base}/sensors/light`]],
		['rt=no-such-type', []]
	]) {
		r = await req(disco, 'GET', paths.res, { query });
		eq(`GET ${paths.res}?${query}: 2.05 with ${want.length} link(s)`,
			JSON.stringify(['2.05', [...want].sort()]), JSON.stringify([r.code, hrefs(linksOf(query, r))]));
		if (want.length === 0) eq(`GET ${paths.res}?${query}: empty payload`, '', r.text);
	}

	// The thin-ICE candidate link, found by rel and anchor.
	r = await req(disco, 'GET', paths.res, { query: 'rel=candidateof&anchor=coap://10.10.10.1:5683' });
	res = linksOf('rel=candidateof', r) ?? [];
	eq(`GET ${paths.res}?rel=candidateof&anchor=coap://10.10.10.1:5683 finds the candidate`,
		JSON.stringify(['2.05', ['coap://203.0.113.7:40001/candidates']]), JSON.stringify([r.code, hrefs(res)]));
	if (res.length === 1) {
		eq('the candidate keeps its anchor', 'coap://10.10.10.1:5683', res[0].attrs.anchor);
		eq('the candidate keeps rel="candidateof"', 'candidateof', res[0].attrs.rel);
	}

	// Paging: page 0 and page 1 of count=1 split the two links.
	const pages = [];
	for (const page of [0, 1, 2]) {
		r = await req(disco, 'GET', paths.res, { query: `rt=temperature-c&page=${page}&count=1` });
		pages.push([r.code, hrefs(linksOf(`page=${page}`, r))]);
	}
	check('rt=temperature-c&count=1: pages 0 and 1 hold one link each, together both; page 2 is empty',
		pages.every((p) => p[0] === '2.05') && pages[0][1].length === 1 && pages[1][1].length === 1 &&
			pages[2][1].length === 0 &&
			JSON.stringify([...pages[0][1], ...pages[1][1]].sort()) === JSON.stringify([tempA, tempB].sort()),
		`got: ${JSON.stringify(pages)}`);

	// JSON (Accept 50): an array of objects with href and the attributes.
	r = await req(disco, 'GET', paths.res, { query: 'rt=temperature-c', accept: 50 });
	eq(`GET ${paths.res}?rt=temperature-c Accept 50: 2.05`, '2.05', r.code);
	eq('with Accept 50 the response is application/json', 'application/json', r.cf);
	let json = null;
	try {
		json = JSON.parse(r.text);
	} catch (e) {
		check('the JSON lookup parses', false, e.message, show(r));
	}
	if (json !== null) {
		check('the JSON lookup is an array of two objects with href and rt',
			Array.isArray(json) && json.length === 2 && json.every((o) => o.rt === 'temperature-c'),
			`got: ${r.text}`);
		eq('the JSON hrefs are the absolute targets', JSON.stringify([tempA, tempB].sort()),
			JSON.stringify(Array.isArray(json) ? json.map((o) => o.href).sort() : null));
	}

	// Errors: a client error code with a diagnostic payload, nothing stored.
	for (const [desc, method, path, o, want] of [
		['POST rd without ep', 'POST', paths.rd, { query: 'lt=60', payload: '</x>', format: 40 }, '4.00'],
		['POST rd with lt=0', 'POST', paths.rd, { query: 'ep=node-z&lt=0', payload: '</x>', format: 40 }, '4.00'],
		['POST rd with a relative target not starting with /', 'POST', paths.rd,
			{ query: 'ep=node-z', payload: '<x>', format: 40 }, '4.00'],
		['POST rd with Content-Format 41 (XML)', 'POST', paths.rd,
			{ query: 'ep=node-z', payload: '<x/>', format: 41 }, '4.15'],
		[`GET ${paths.res} with Accept 60 (CBOR)`, 'GET', paths.res, { accept: 60 }, '4.06'],
		[`GET ${paths.ep}?page=0 without count`, 'GET', paths.ep, { query: 'page=0' }, '4.00']
	]) {
		r = await req(disco, method, path, o);
		check(`${desc}: ${want} with a diagnostic payload`, r.code === want && r.text !== '', show(r));
	}
	r = await req(disco, 'GET', paths.ep, { query: 'ep=node-z' });
	eq('the rejected registrations stored nothing', '2.05 []', `${r.code} [${r.text}]`);

	// Blockwise (RFC 7959): a lookup larger than one datagram comes in
	// Block2 blocks, which node-coap reassembles.
	const bulkLocs = [];
	const bulkWant = [];
	for (let k = 0; k < 4; k++) {
		const bd = await device(`bulk-${k}`);
		const body = [...Array(8).keys()].map((j) => `</sensors/bulk/${j}>;rt="bulk-item";if="core.s"`).join(',');
		bulkLocs.push(await register(bd, `ep=bulk-${k}&lt=60`, body, `POST rd?ep=bulk-${k} (8 links)`));
		for (let j = 0; j < 8; j++) bulkWant.push(`${bd.base}/sensors/bulk/${j}`);
	}
	const reader = await device('bulk-reader');
	r = await req(reader, 'GET', paths.res, { query: 'rt=bulk-item' });
	eq(`GET ${paths.res}?rt=bulk-item: 2.05 with all 32 links (${r.text.length} bytes)`,
		JSON.stringify(['2.05', bulkWant.sort()]), JSON.stringify([r.code, hrefs(linksOf('bulk', r))]));
	check('the large lookup came in Block2 blocks (more than one 2.05)',
		reader.datagrams.filter((x) => x.code === '2.05').length > 1,
		`datagrams: ${JSON.stringify(reader.datagrams)}`);

	// 5. Observe a lookup (RFC 7641 on section 7): notified when, and only
	// when, another registration changes its result.
	const o = await device('observer');
	const lightA = `${a.base}/sensors/light`;
	const obs = await observe(o, paths.res, 'rt=light-lux');
	eq(`GET ${paths.res}?rt=light-lux with Observe: 2.05`, '2.05', obs.first.code);
	check('the lookup is observable (the response has an Observe option)', typeof obs.first.observe === 'number',
		`Observe: ${obs.first.observe}`);
	eq('the observed lookup starts with node-a\'s light', JSON.stringify([lightA]),
		JSON.stringify(hrefs(linksOf('observe', obs.first))));
	const observing = typeof obs.first.observe === 'number';
	const notes = () => o.datagrams.filter((d) => d.token === obs.first.token && d.code === '2.05').slice(1);

	const d = await device('node-d');
	const locD = await register(d, 'ep=node-d&lt=60', '</h>;rt="humidity",</h/cal>;rel="calibration";anchor="/h"',
		'POST rd?ep=node-d (no light)');
	const c = await device('node-c');
	const locC = await register(c, 'ep=node-c&lt=60', '</lamp>;rt="light-lux"', 'POST rd?ep=node-c (a light)');
	const lampC = `${c.base}/lamp`;
	let n = await obs.next(NOTIFY_MS);
	check('a notification follows node-c\'s registration', n !== null, `none within ${NOTIFY_MS / 1000} s`);
	if (n !== null) {
		eq('the notification holds both lights', JSON.stringify([lightA, lampC].sort()),
			JSON.stringify(hrefs(linksOf('notification', { text: n }))));
	}
	await sleep(QUIET_MS);
	check('node-d\'s registration (no light) sent no notification', observing && obs.count() === 1,
		`observing: ${observing}, notifications: ${obs.count()}`);
	// RFC 7641 section 4.5: non-confirmable, with a confirmable one now and then.
	check('the notifications are CON or NON messages (RFC 7641 section 4.5)',
		notes().length > 0 && notes().every((x) => x.type === 'CON' || x.type === 'NON'),
		`got: ${JSON.stringify(notes())}`);

	// A relative anchor is resolved against the base, as the target is.
	r = await req(disco, 'GET', paths.res, { query: 'rel=calibration' });
	res = linksOf('rel=calibration', r) ?? [];
	eq(`GET ${paths.res}?rel=calibration: node-d's link, target and anchor absolute`,
		JSON.stringify(['2.05', `${d.base}/h/cal`, `${d.base}/h`]),
		JSON.stringify([r.code, res[0]?.href, res[0]?.attrs.anchor]));

	// Update (section 5.3.1): a new lifetime only; the light lookup is unchanged.
	r = await req(a, 'POST', locA, { query: 'lt=120' });
	eq(`POST ${locA}?lt=120 (update): 2.04`, '2.04', r.code);
	r = await req(disco, 'GET', paths.ep, { query: 'ep=node-a' });
	eps = linksOf('ep=node-a', r) ?? [];
	eq('after the update the endpoint lookup shows lt=120', '120', eps[0]?.attrs.lt);
	n = await obs.next(QUIET_MS);
	check('the lifetime update sent no notification', observing && n === null, `observing: ${observing}, got: [${n}]`);

	// Update with a new base: the device's new address (a new candidate).
	const c2 = await device('node-c-moved');
	r = await req(c2, 'POST', locC, { query: `base=${c2.base}` });
	eq(`POST ${locC}?base=${c2.base} (update): 2.04`, '2.04', r.code);
	n = await obs.next(NOTIFY_MS);
	check('a notification follows the base change', n !== null, `none within ${NOTIFY_MS / 1000} s`);
	if (n !== null) {
		eq('the notification has node-c\'s light at its new address', JSON.stringify([lightA, `${c2.base}/lamp`].sort()),
			JSON.stringify(hrefs(linksOf('notification', { text: n }))));
	}

	// DELETE (section 5.3.2): notified again, the light is gone.
	r = await req(c, 'DELETE', locC);
	eq(`DELETE ${locC}: 2.02`, '2.02', r.code);
	n = await obs.next(NOTIFY_MS);
	check('a notification follows the DELETE', n !== null, `none within ${NOTIFY_MS / 1000} s`);
	if (n !== null) {
		eq('the notification has node-a\'s light only', JSON.stringify([lightA]),
			JSON.stringify(hrefs(linksOf('notification', { text: n }))));
	}
	r = await req(c, 'DELETE', locC);
	eq(`DELETE ${locC} again: 4.04`, '4.04', r.code);
	r = await req(disco, 'GET', locC);
	eq(`GET ${locC} after the DELETE: 4.04`, '4.04', r.code);
	r = await req(c, 'POST', locC, { query: 'lt=60' });
	eq(`POST ${locC}?lt=60 after the DELETE: 4.04`, '4.04', r.code);

	// Cancel (RFC 7641 section 3.6, GET with Observe: 1): no more notifications.
	obs.cancel();
	await sleep(300);
	const before = o.datagrams.length;
	const e = await device('node-e');
	const locE = await register(e, 'ep=node-e&lt=60', '</lamp>;rt="light-lux"', 'POST rd?ep=node-e (a light)');
	await sleep(QUIET_MS);
	const after = o.datagrams.slice(before).filter((x) => x.code === '2.05');
	check('after the cancellation no notification arrives', observing && after.length === 0, `got: ${JSON.stringify(after)}`);

	// Expiry (section 5.3): an observed endpoint lookup empties when the
	// lifetime (lt=2) runs out.
	const x = await device('node-x');
	const locX = await register(x, 'ep=node-x&lt=2', '</x>;rt="expiring"', 'POST rd?ep=node-x&lt=2');
	const obsX = await observe(disco, paths.ep, 'ep=node-x');
	eq(`GET ${paths.ep}?ep=node-x with Observe: 2.05 with node-x, observable`,
		JSON.stringify(['2.05', [locX], 'number']),
		JSON.stringify([obsX.first.code, hrefs(linksOf('ep=node-x', obsX.first)), typeof obsX.first.observe]));
	n = await obsX.next(8000);
	check('a notification follows node-x\'s expiry', n !== null, 'none within 8 s');
	if (n !== null) eq('the notification is an empty lookup', '', n);
	r = await req(disco, 'GET', locX);
	eq(`GET ${locX} after the expiry: 4.04`, '4.04', r.code);
	r = await req(disco, 'GET', paths.res, { query: 'rt=expiring' });
	eq(`GET ${paths.res}?rt=expiring after the expiry: 2.05, empty`, '2.05 []', `${r.code} [${r.text}]`);
	obsX.cancel();

	// 6. Simple registration (section 5.1): rdd fetches /.well-known/core
	// from the node-coap server on the device's socket.
	const s = await device('node-s');
	const fetched = [];
	const server = coap.createServer();
	server.on('request', (rq, rs) => {
		fetched.push({ method: rq.method, url: rq.url, from: `${rq.rsinfo.address}:${rq.rsinfo.port}` });
		if (rq.method === 'GET' && rq.url.split('?')[0] === '/.well-known/core') {
			rs.setOption('Content-Format', 'application/link-format');
			rs.end('</s/hum>;rt="humidity";ct=0,</s/door>;rt="door"');
		} else {
			rs.code = '4.04';
			rs.end();
		}
	});
	server.listen(s.sock);
	r = await req(s, 'POST', '/.well-known/rd', { query: 'ep=node-s&lt=60' });
	eq('POST /.well-known/rd?ep=node-s (simple registration): 2.04', '2.04', r.code);
	let simple = [];
	for (let i = 0; i < 50; i++) {
		r = await req(disco, 'GET', paths.res, { query: 'ep=node-s' });
		simple = hrefs(linksOf('ep=node-s', r));
		if (simple.length) break;
		await sleep(100);
	}
	check('rdd fetched /.well-known/core from the node-coap server',
		fetched.some((f) => f.method === 'GET' && f.url.startsWith('/.well-known/core')),
		`requests seen: ${JSON.stringify(fetched)}`);
	check(`rdd fetched it from its own port ${rd.port} (as the device sent to)`,
		fetched.length > 0 && fetched.every((f) => f.from === `${host(rd)}:${rd.port}`),
		`requests seen: ${JSON.stringify(fetched)}`);
	eq('the simple registration\'s links are found, based at the device', JSON.stringify([`${s.base}/s/door`,
		`${s.base}/s/hum`]), JSON.stringify(simple));
	r = await req(disco, 'GET', paths.ep, { query: 'ep=node-s' });
	eps = linksOf('ep=node-s', r) ?? [];
	eq('the simple registration is listed with base = the device', s.base, eps[0]?.attrs.base);
	const locS = eps[0]?.href;

	// 7. IPv6: a device on [::1] is based at coap://[::1]:port.
	const locs = [locA, locB, locD, locE, locS, ...bulkLocs];
	if (rd6) {
		const v6 = await device('node-v6', 6);
		const locV6 = await register(v6, 'ep=node-v6&lt=60', '</t>;rt="v6-test"', 'POST rd?ep=node-v6 over IPv6');
		r = await req(disco, 'GET', paths.res, { query: 'rt=v6-test' });
		eq('the IPv6 device\'s link is coap://[::1]:port/t', JSON.stringify([`${v6.base}/t`]),
			JSON.stringify(hrefs(linksOf('v6', r))));
		locs.push(locV6);
	}

	// 8. Remove everything: DELETE each, the endpoint lookup ends empty.
	for (const loc of locs) {
		if (!loc) continue;
		r = await req(disco, 'DELETE', loc);
		eq(`DELETE ${loc}: 2.02`, '2.02', r.code);
	}
	r = await req(disco, 'GET', paths.ep);
	eq(`GET ${paths.ep} at the end: 2.05, empty`, '2.05 []', `${r.code} [${r.text}]`);
	server.close();
}

const watchdog = setTimeout(() => {
	check(`the run ends within ${TOTAL_MS / 1000} s`, false);
	process.exit(1);
}, TOTAL_MS);

try {
	await run();
} catch (e) {
	check('no request failed', false, e.stack ?? String(e));
}
clearTimeout(watchdog);
console.log(`# node-coap: ${passes} passed, ${fails} failed`);
for (const dev of devices) {
	try {
		dev.sock.close();
	} catch {
		// already closed
	}
}
process.exit(fails > 0 || passes === 0 ? 1 : 0);
