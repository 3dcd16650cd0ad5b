package dev.mmu.interp.cli;

import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.runtime.paths.Prelude;
import dev.mmu.runtime.paths.ScenarioError;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `mmu` command. Exit codes: 0 all hold, 1 an expectation failed, 2 bad input, 3 internal fault, 4 unknown. */
// scope INHERIT: every subcommand gets --help and --version too (`mmu check --help`).
@Command(name = "mmu", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "mmu 0.1.0",
        description = "Scenario language and model checker for the KVM x86 MMU.")
public final class Main {
    /** The subcommands, in the order `mmu --help` lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(CheckCommand.class, TestCommand.class,
            MergeCommand.class, ReplayCommand.class, FmtCommand.class, ExplainCommand.class, ShowCommand.class,
            CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("check") || args[0].equals("test"))) {
            KernelPrelude.preload(Prelude.LATEST); // about 0.1 s of a check's start, on the other core
        }
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /** The command line for every subcommand. */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line with its handlers: an internal fault is one line, the trace under --debug.
     * When {@code args} start with a subcommand's name, only that subcommand is built: picocli's
     * reflection over all of them costs about 50 ms of every start (docs/performance.md).
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        List<Class<?>> named = SUBCOMMANDS.stream()
                .filter(c -> c != CommandLine.HelpCommand.class && args.length > 0
                        && c.getAnnotation(Command.class).name().equals(args[0])).toList();
        for (Class<?> c : named.isEmpty() ? SUBCOMMANDS : named) cl.addSubcommand(c);
        for (CommandLine c : Stream.concat(Stream.of(cl), cl.getSubcommands().values().stream())
                .filter(c -> List.of("mmu", "check", "test").contains(c.getCommandName())).toList()) {
            c.getCommandSpec().usageMessage().exitCodeListHeading("Exit codes:%n").exitCodeList(ExitCode.HELP);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true); // the settings after the subcommands: picocli copies them down
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ScenarioError e) {
                // an address computed while replaying: the scenario's fault, not ours
                cmd.getErr().println("mmu: error: " + e.getMessage() + " (an address computed at run time)");
                return ExitCode.BAD_INPUT;
            }
            // the option belongs to the subcommand, whose parse result is the one to ask
            boolean debug = cmd.getParseResult().hasMatchedOption("--debug");
            cmd.getErr().println("mmu: internal error: " + ex + " (please report it with the .mmu file"
                    + (debug ? ")" : "; rerun with --debug for the stack trace)"));
            if (debug) ex.printStackTrace(cmd.getErr());
            return ExitCode.INTERNAL;
        });
        cl.setParameterExceptionHandler(Main::badArguments);
        return cl;
    }

    /**
     * A bad option or value: picocli's short form (its ShortErrorMessageHandler idiom), the
     * message, a typo's "Did you mean", the one-line synopsis and where the help is, each fitted to
     * a known terminal as diagnostics are. The whole usage (40 lines at 80 columns) scrolled the
     * message away.
     */
    private static int badArguments(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        int columns = Terminal.diagnosticColumns();
        java.io.StringWriter suggestions = new java.io.StringWriter();
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, new java.io.PrintWriter(suggestions));
        List<String> lines = new java.util.ArrayList<>();
        lines.add("mmu: " + ex.getMessage());
        suggestions.toString().lines().filter(l -> !l.isBlank()).forEach(lines::add);
        lines.add("Usage: " + cmd.getHelp().abbreviatedSynopsis().strip());
        lines.add("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        dev.mmu.interp.diag.Wrap.wrap(lines, columns).forEach(cmd.getErr()::println);
        return ExitCode.BAD_INPUT;
    }
}
