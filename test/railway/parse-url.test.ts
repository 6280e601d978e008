import {describe, expect, it} from 'vitest';
import {maskServiceUrl, parseServiceUrl} from '../../source/railway/parse-url.js';
import {UserError} from '../../source/errors.js';

function parseError(raw: string): UserError {
	try {
		parseServiceUrl(raw, 'REDIS_URL');
	} catch (error) {
		if (error instanceof UserError) return error;
		throw error;
	}
	throw new Error('expected a UserError');
}

describe('parseServiceUrl', () => {
	it('parses a Railway redis URL with user, password, port and DB number', () => {
		const url = parseServiceUrl('redis://default:s3cretPw@redis.railway.internal:6380/2');
		expect({
			type: url.type,
			username: url.username,
			password: url.password,
			host: url.host,
			port: url.port,
			database: url.database,
			tls: url.tls,
			masked: url.masked,
			display: url.display,
		}).toEqual({
			type: 'redis',
			username: 'default',
			password: 's3cretPw',
			host: 'redis.railway.internal',
			port: 6380,
			database: '2',
			tls: false,
			masked: 'redis://default:****@redis.railway.internal:6380/2',
			display: 'redis default@redis.railway.internal:6380/2',
		});
	});

	it('defaults a redis URL without port or path to 6379 and DB 0', () => {
		const url = parseServiceUrl('redis://:pw-only-here@cache.example.com');
		expect([url.username, url.password, url.port, url.database]).toEqual([undefined, 'pw-only-here', 6379, '0']);
	});

	it('takes TLS from the rediss scheme', () => {
		expect(parseServiceUrl('rediss://default:pw123@h.example.com:6380').tls).toBe(true);
	});

	it('keeps a raw quote, backslash and colon in the password and decodes percent-escapes', () => {
		expect(parseServiceUrl("redis://default:a'b\\c:d@h:1/0").password).toBe("a'b\\c:d");
		expect(parseServiceUrl('redis://default:p%40ss%2Fw@h:1').password).toBe('p@ss/w');
	});

	it('parses a mongodb URL with a host list, database and options', () => {
		const url = parseServiceUrl('mongodb://mongo:pw-123@a.example.com:27017,b.example.com:27018/lancio?authSource=admin&replicaSet=rs0&tls=true');
		expect({
			hosts: url.hosts,
			host: url.host,
			port: url.port,
			database: url.database,
			tls: url.tls,
			srv: url.srv,
			options: url.options,
			masked: url.masked,
		}).toEqual({
			hosts: [
				{host: 'a.example.com', port: 27017},
				{host: 'b.example.com', port: 27018},
			],
			host: 'a.example.com',
			port: 27017,
			database: 'lancio',
			tls: true,
			srv: false,
			options: {authSource: 'admin', replicaSet: 'rs0', tls: 'true'},
			masked: 'mongodb://mongo:****@a.example.com:27017,b.example.com:27018/lancio?authSource=admin&replicaSet=rs0&tls=true',
		});
	});

	it('gives mongodb+srv port 27017, srv and TLS on by default', () => {
		const url = parseServiceUrl('mongodb+srv://u:pw-123@cluster0.example.net/app');
		expect([url.port, url.srv, url.tls, url.masked]).toEqual([27017, true, true, 'mongodb+srv://u:****@cluster0.example.net/app']);
	});

	it('takes TLS from ssl=true on a mongodb URL', () => {
		expect(parseServiceUrl('mongodb://h:27017/?ssl=true').tls).toBe(true);
	});

	it('keeps secret options out of options and masks them', () => {
		const url = parseServiceUrl('mongodb://h:27017/db?tlsCertificateKeyFilePassword=hunter22&appName=x');
		expect([url.options, url.masked, url.secrets.includes('hunter22')]).toEqual([
			{appName: 'x'},
			'mongodb://h:27017/db?tlsCertificateKeyFilePassword=****&appName=x',
			true,
		]);
	});

	it('serialises to JSON without the password or the raw URL', () => {
		const text = JSON.stringify(parseServiceUrl('redis://default:Zq9-unique-pw@h:6379'));
		expect(text.includes('Zq9-unique-pw')).toBe(false);
	});

	it('rejects an unknown scheme with the password masked', () => {
		const error = parseError('http://user:Topsecret9@h:80');
		expect(error.message).toBe(
			'REDIS_URL (http://user:****@h:80) uses the scheme `http`. Only redis://, rediss://, mongodb:// and mongodb+srv:// URLs are registered; check that the variable holds the service’s connection URL.',
		);
	});

	it('rejects a port that is not a number, password masked', () => {
		const error = parseError('redis://default:Topsecret9@h:63x9');
		expect([error.message.includes('Topsecret9'), error.message.startsWith('REDIS_URL (redis://default:****@h:63x9) has the port `63x9`')]).toEqual([false, true]);
	});

	it('rejects a redis path that is not a DB number', () => {
		expect(parseError('redis://h:6379/abc').message).toBe(
			'REDIS_URL (redis://h:6379/abc) selects the Redis database `abc`, which is not a number. A Redis URL’s path is the database number, such as /0; remove or correct it.',
		);
	});

	it('rejects a mongodb+srv URL with a port', () => {
		expect(() => parseServiceUrl('mongodb+srv://c.example.net:27017/db')).toThrow(/must not have \(the port comes from the DNS SRV record\)/);
	});

	it('rejects a URL without a host', () => {
		expect(parseError('redis://default:Topsecret9@/0').message).toBe(
			'REDIS_URL (redis://default:****@/0) has no host. Give the URL the service’s host, such as redis://default:<password>@<host>:<port>.',
		);
	});

	it('rejects a malformed percent-escape without showing the password', () => {
		const error = parseError('redis://default:bad%zzSecret@h:6379');
		expect([error.message.includes('bad%zzSecret'), error.message.includes('malformed percent-escape in its password')]).toEqual([false, true]);
	});

	it('rejects text that is not a URL', () => {
		expect(parseError('not a url').message).toBe(
			'REDIS_URL (not a url) is not a URL. Give a URL such as redis://default:<password>@<host>:6379 or mongodb://<user>:<password>@<host>:27017/<database>.',
		);
	});
});

describe('maskServiceUrl', () => {
	it('masks a password containing @ and / up to the last @', () => {
		expect(maskServiceUrl('redis://default:a@b/c@h:1/0')).toBe('redis://default:****@h:1/0');
	});
});
