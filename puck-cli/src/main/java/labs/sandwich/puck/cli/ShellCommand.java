package labs.sandwich.puck.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import labs.sandwich.puck.Puck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code puck shell}: jshell with Puck on the class path and a start-up script that imports its
 * packages and opens {@code puck} on the store, so {@code var s = puck.create("x")} works at the
 * first prompt.
 */
@Command(name = "shell", description = "Open jshell with Puck loaded and `puck` open on the store.")
final class ShellCommand extends Base {
    @Option(names = "--print-startup", description = "Print the start-up script instead (for a plain `jshell --startup`).")
    boolean printStartup;

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) throws Exception {
        String startup;
        try (InputStream in = ShellCommand.class.getResourceAsStream("puck.jsh")) {
            startup = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (printStartup) {
            out().print(startup);
            out().flush();
            return ExitCodes.OK;
        }
        Path jar = DaemonCommand.jar().orElseThrow(() -> new IOException("puck does not run from its jar; build it with ./puck first"));
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        if (!Files.isExecutable(jshell)) {
            err().println("puck: this Java (" + System.getProperty("java.home") + ") has no jshell: it is a runtime, not a JDK. "
                    + "Fix: run puck on a JDK (JAVA_HOME), or use `jshell --class-path " + jar + "` from one.");
            err().flush();
            return ExitCodes.UNSUPPORTED;
        }
        Path script = Files.createTempFile("puck-", ".jsh");
        try {
            Files.writeString(script, startup);
            List<String> command = new ArrayList<>(List.of(jshell.toString(), "--class-path", jar.toString(), "-R--enable-native-access=ALL-UNNAMED",
                    "-R-Dpuck.store=" + global.storeFile(), "--startup", "DEFAULT", "--startup", script.toString()));
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
