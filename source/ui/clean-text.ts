/**
 * Child output can carry escape sequences, carriage returns and tabs; on the
 * screen they would move the cursor or break the layout. Keep printable text.
 */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

export function cleanText(text: string): string {
	const lastReturn = text.lastIndexOf('\r', text.length - 2);
	const visible = lastReturn >= 0 ? text.slice(lastReturn + 1) : text;
	return visible.replace(ESCAPES, '').replace(/\t/g, '  ').replace(CONTROLS, '');
}
