/**
 * The command line parsed with commander, from the tables in options.ts: the
 * only module that loads commander (the entry bundle's), so the code a run
 * reads for its settings (run-settings.ts → options.ts) does not carry it.
 */
import {Argument, Command, CommanderError, Option} from 'commander';
import {UserError} from '../errors.js';
import {ARG_CHOICES, COMMANDS, EXIT_CODES, MISSING_ARGUMENT, OPTIONS, SPECS, commandsTaking, groupOf, optionsOf, toOptions, version, type CliOptions, type OptionName, type OptionSpec, type Parsed} from './options.js';

/** One paragraph for a parse error, with what to do next. */
function parseErrorMessage(error: CommanderError, commandName: string | undefined, firstWord: string | undefined): string {
	const raw = error.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim();
	const where = commandName ? `runbook ${commandName}` : 'runbook';
	const help = `Run \`${where} --help\` for its flags.`;
	if (error.code === 'commander.unknownOption') {
		const flag = /'([^']+)'/.exec(raw)?.[1] ?? '';
		const owners = commandsTaking(flag).filter((c) => c !== commandName);
		if (owners.length > 0) return `\`${where}\` does not take ${flag}; it belongs to ${owners.map((c) => `\`runbook ${c}\``).join(', ')}. ${help}`;
		return `\`${where}\` does not know the flag ${flag}${raw.includes('Did you mean') ? ` (${raw.slice(raw.indexOf('Did you mean')).replace(/[()]/g, '')})` : ''}. ${help}`;
	}
	if (error.code === 'commander.unknownCommand' || (error.code === 'commander.excessArguments' && commandName === 'run')) {
		const word = error.code === 'commander.excessArguments' ? firstWord : /'([^']+)'/.exec(raw)?.[1];
		return `runbook does not know the command \`${word ?? '?'}\`. Commands: ${SPECS.map((s) => s.name).join(', ')}. Run \`runbook --help\`.`;
	}
	if (error.code === 'commander.missingArgument' && commandName) {
		const hint = MISSING_ARGUMENT[commandName];
		if (hint) return `${hint} Run \`runbook ${commandName} --help\`.`;
	}
	return `${raw.charAt(0).toUpperCase()}${raw.slice(1)}${raw.endsWith('.') ? '' : '.'} ${help}`;
}

/**
 * The commander program: also the source of --help and of the completion scripts. `only` registers that one
 * command instead of all of them (the command line names it): its parse, errors and help are the same, and the
 * other commands' options are not built (~4 ms of every start).
 */
export function buildProgram(onAction: (parsed: Parsed) => void, env: NodeJS.ProcessEnv = process.env, only?: string): {program: Command; currentCommand: () => string | undefined} {
	const program = new Command('runbook');
	let current: string | undefined;
	program
		.description('Drive a PostgreSQL migration plan safely, step by step, with resumable state.')
		.version(version(), '-v, --version', 'print the version')
		.helpOption('-h, --help', 'show help')
		.exitOverride()
		.showSuggestionAfterError(true)
		.configureOutput({outputError: () => undefined})
		.hook('preSubcommand', (_program, sub) => {
			current = sub.name();
		})
		.addHelpText('after', `\nWith no command, \`runbook\` is \`runbook run\`. \`runbook <command> --help\` shows the flags of each command.\n${EXIT_CODES}\n`);
	program.helpCommand('help [command]', 'show help for a command');
	for (const spec of only === undefined ? SPECS : SPECS.filter((s) => s.name === only)) {
		const cmd = program.command(spec.name, spec.name === 'run' ? {isDefault: true} : {}).summary(spec.summary).description(spec.description ?? spec.summary);
		for (const arg of spec.args?.split(' ') ?? []) {
			const argument = new Argument(arg);
			const choices = ARG_CHOICES[arg];
			if (choices) argument.choices(choices);
			cmd.addArgument(argument);
		}
		for (const name of optionsOf(spec)) {
			const o: OptionSpec = OPTIONS[name];
			const option = new Option(o.flags, o.description + (o.env ? ` (or ${o.env})` : '') + (o.defaultText ? ` (default ${o.defaultText})` : ''));
			if ('choices' in o && o.choices) option.choices(o.choices);
			if (o.multiple) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
			const heading = groupOf(spec, name);
			if (heading) option.helpGroup(heading);
			cmd.addOption(option);
		}
		if (spec.examples) cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`);
		cmd.action((...actionArgs: unknown[]) => {
			const self = actionArgs[actionArgs.length - 1] as Command;
			const values = self.opts();
			const given = new Set<OptionName>();
			for (const option of self.options) {
				const long = option.long?.replace(/^--/, '') as OptionName | undefined;
				if (!long) continue;
				const source = self.getOptionValueSource(option.attributeName());
				if (source === 'cli') given.add(long);
				else {
					const envName = (OPTIONS[long] as OptionSpec).env;
					if (envName && env[envName] !== undefined && env[envName] !== '') {
						values[option.attributeName()] = env[envName];
						given.add(long);
					}
				}
			}
			onAction({command: spec.name, values, given, args: self.args});
		});
	}
	return {program, currentCommand: () => current};
}

/**
 * Flags may come before the command (`runbook --state-dir D status`): the
 * command goes first for commander. Also returns the first word that is not a flag.
 */
function commandFirst(argv: readonly string[]): {args: string[]; firstWord?: string} {
	const takesValue = new Set<string>();
	for (const o of Object.values(OPTIONS) as OptionSpec[]) {
		if (!o.flags.includes('<')) continue;
		for (const f of o.flags.split(/[ ,]+/)) if (f.startsWith('-')) takesValue.add(f);
	}
	const names = new Set<string>(COMMANDS);
	for (let i = 0; i < argv.length; i++) {
		const token = argv[i]!;
		if (token === '--') break;
		if (token.startsWith('-')) {
			if (!token.includes('=') && takesValue.has(token)) i++;
			continue;
		}
		if (i > 0 && names.has(token)) return {args: [token, ...argv.slice(0, i), ...argv.slice(i + 1)], firstWord: token};
		return {args: [...argv], firstWord: token};
	}
	return {args: [...argv]};
}

export type ParseOutcome = {kind: 'options'; options: CliOptions} | {kind: 'printed'; exitCode: number; text: string};

/**
 * Parses argv. Help and version come back as text to print (exit 0); a bad
 * command line is a UserError (exit 2) naming what was wrong.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParseOutcome {
	let parsed: Parsed | undefined;
	let printed = '';
	const {args, firstWord} = commandFirst(argv);
	// `runbook help …`, no command (run, the default) or an unknown word: the whole program answers.
	const only = firstWord !== 'help' && (COMMANDS as readonly string[]).includes(firstWord ?? '') ? firstWord : undefined;
	const {program, currentCommand} = buildProgram(
		(p) => {
			parsed = p;
		},
		env,
		only,
	);
	const capture = {writeOut: (s: string) => void (printed += s), writeErr: (s: string) => void (printed += s), outputError: () => undefined};
	program.configureOutput(capture);
	for (const sub of program.commands) sub.configureOutput(capture);
	try {
		program.parse(args, {from: 'user'});
	} catch (error) {
		if (!(error instanceof CommanderError)) throw error;
		if (error.exitCode === 0) return {kind: 'printed', exitCode: 0, text: printed};
		throw new UserError(parseErrorMessage(error, currentCommand(), firstWord));
	}
	if (!parsed) return {kind: 'printed', exitCode: 0, text: printed || program.helpInformation()};
	return {kind: 'options', options: toOptions(parsed)};
}

