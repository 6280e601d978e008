/** libpq's connection-string grammar: URIs (several hosts, IPv6, percent-escapes) and keyword/value pairs. */
import {describe, expect, it} from 'vitest';
import {parseConninfo} from '../../source/db/conninfo.js';
import {maskUrl} from '../../source/db/target.js';
import {isUserError} from '../../source/errors.js';

const parse = (text: string) => parseConninfo(text, '--database-url');

describe('connection strings as libpq reads them', () => {
	it('a URI with several hosts, ports, an IPv6 host, percent-escapes and parameters', () => {
		expect(parse('postgresql://mi%40grator:p%2Fss@db1.example:5433,[2001:db8::1]:5434,db3/app%20db?sslmode=verify-full&connect_timeout=5')).toEqual({
			user: 'mi@grator',
			password: 'p/ss',
			host: 'db1.example,2001:db8::1,db3',
			port: '5433,5434,',
			dbname: 'app db',
			sslmode: 'verify-full',
			connect_timeout: '5',
		});
		expect(parse('postgres:///app?host=/var/run/postgresql')).toEqual({dbname: 'app', host: '/var/run/postgresql'});
		expect(parse('postgres://db?ssl=true')).toEqual({host: 'db', sslmode: 'require'});
	});

	it('keyword/value pairs with quotes and escapes; a bare word is a database name', () => {
		expect(parse(`host=db1 port = 5432 dbname='my db' password='it\\'s' options='-c search_path=app'`)).toEqual({host: 'db1', port: '5432', dbname: 'my db', password: "it's", options: '-c search_path=app'});
		expect(parse('app')).toEqual({dbname: 'app'});
	});

	it('refuses what libpq refuses, in one paragraph', () => {
		const message = (text: string) => {
			try {
				parse(text);
			} catch (error) {
				if (isUserError(error)) return error.message;
			}
			return 'accepted';
		};
		expect(message('postgres://db/app?schema=x')).toContain('`schema`, which is not a libpq connection option');
		expect(message('host=db sslmode=maybe')).toContain('sslmode=maybe');
		expect(message("host='db")).toContain('unterminated');
		expect(message('mysql://db/app')).toContain('only drives PostgreSQL');
	});

	it('masks a password in a URL and in keyword/value text', () => {
		expect(maskUrl("postgres://u:secret@h/db host=h password='se cret' x")).toBe("postgres://u:****@h/db host=h password=**** x");
	});
});
