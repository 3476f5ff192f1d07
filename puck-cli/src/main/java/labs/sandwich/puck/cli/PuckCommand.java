package labs.sandwich.puck.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;
import org.jspecify.annotations.Nullable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code puck} command: every subcommand, the error handling and the exit codes ({@link ExitCodes}). */
@Command(name = "puck", mixinStandardHelpOptions = true, versionProvider = PuckCommand.Version.class,
        description = "Sprites: durable Linux computers that sleep when idle and wake with their memory intact.",
        subcommands = {
            SpriteCommands.Create.class, SpriteCommands.ListCmd.class, SpriteCommands.Inspect.class, ConsoleCommand.class,
            SpriteCommands.Exec.class, SpriteCommands.Cp.class, SpriteCommands.Pause.class, SpriteCommands.Hibernate.class,
            SpriteCommands.Wake.class, SpriteCommands.Archive.class, SnapshotCommand.class, SpriteCommands.Fork.class, ExposeCommand.class,
            SpriteCommands.WhyCmd.class, SpriteCommands.Logs.class, EventsCommand.class, SpriteCommands.Delete.class,
            DoctorCommand.class, DaemonCommand.class, DemoCommand.class, ShellCommand.class, PuckCommand.VersionCmd.class, PuckCommand.Completion.class
        },
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 wrong arguments, 3 not found, 4 wrong state, 5 runtime unavailable, 6 timeout,",
            "7 store, 8 unsupported here, 9 hook or checksum failed, 10 declined; `puck exec` exits with the command's code.",
            "Docs: docs/cli.md"})
final class PuckCommand {
    private PuckCommand() {}

    /** @return the command line on this process's streams, with Puck's error handling: one line on stderr, the documented exit code */
    static CommandLine commandLine() {
        return commandLine(Io.LOCAL, null, null);
    }

    /**
     * @param io     the caller's streams and terminal
     * @param shared an open Puck for every command to use (puckd's), or null to open one per command
     * @param store  the store that Puck uses, or null
     */
    static CommandLine commandLine(Io io, @Nullable Puck shared, @Nullable Path store) {
        CommandLine.IFactory standard = CommandLine.defaultFactory();
        CommandLine cl = new CommandLine(PuckCommand.class, new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                K made = standard.create(type);
                if (made instanceof Base b) {
                    b.io = io;
                    b.shared = shared;
                } else if (made instanceof Global g && store != null) {
                    g.store = store;
                }
                return made;
            }
        });
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(io.out(), java.nio.charset.StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(io.err(), java.nio.charset.StandardCharsets.UTF_8), true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            boolean debug = Arrays.asList(parsed.originalArgs().toArray(String[]::new)).contains("--debug");
            if (e instanceof PuckException p) {
                err.println("puck: " + p.getMessage());
                if (debug) {
                    p.printStackTrace(err);
                }
                err.flush();
                return ExitCodes.of(p);
            }
            err.println("puck: " + (e.getMessage() == null ? e.toString() : e.getMessage())
                    + (debug ? "" : " (run again with --debug for the stack trace)"));
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.FAILED;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("puck: " + e.getMessage() + ". Try `" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help`.");
            err.flush();
            return ExitCodes.USAGE;
        });
        return cl;
    }

    static String version() {
        String v = Puck.class.getPackage().getImplementationVersion();
        if (v == null) {
            v = PuckCommand.class.getPackage().getImplementationVersion();
        }
        return "puck " + (v == null ? "(development build)" : v) + " (SPI " + SpriteRuntimeProvider.SPI_VERSION + ") on Java " + Runtime.version();
    }

    /** For {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }

    @Command(name = "completion", description = "Print a bash (and zsh) completion script: source <(puck completion)")
    static final class Completion extends Base {
        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) {
            out().print(AutoComplete.bash("puck", spec.root().commandLine()));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCmd extends Base {
        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) {
            result(version(), Out.map("version", version()));
            return ExitCodes.OK;
        }
    }
}
