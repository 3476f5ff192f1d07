package labs.sandwich.puck.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code puck console NAME}: an interactive shell in the sprite, on a real PTY. On a terminal,
 * the local terminal goes to raw mode (restored on exit) and follows window resizes; on a pipe,
 * input and output are passed through as they are.
 */
@Command(name = "console", description = "Open an interactive shell in a sprite (waking it first); exits with the shell's status.")
final class ConsoleCommand extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "A program to run instead of a login shell.")
    List<String> argv = List.of();

    @Override
    int run(Puck puck) throws Exception {
        Sprite s = puck.get(name);
        SpriteState before = s.state();
        boolean tty = io.isTerminal(0);
        int[] size = tty ? io.size().orElse(new int[] {80, 24}) : new int[] {80, 24};
        ConsoleRequest request = (argv.isEmpty() ? ConsoleRequest.DEFAULT : new ConsoleRequest(argv, 80, 24)).withSize(size[0], size[1]);
        if (before != SpriteState.RUNNING) {
            progress("waking " + name + " (" + before.name().toLowerCase(Locale.ROOT) + ")…");
        }
        long t = System.nanoTime();
        try (Console console = s.console(request)) {
            if (before != SpriteState.RUNNING) {
                progress("awake in " + ms(t) + " ms");
            }
            Runnable unraw = tty ? io.raw() : () -> {};
            try {
                Thread.ofVirtual().name("puck-console-in").start(() -> pump(io.in(), console.input(), true));
                Thread resizer = tty ? Thread.ofVirtual().name("puck-console-resize").start(() -> follow(console, size)) : null;
                pump(console.output(), io.out(), false);
                if (resizer != null) {
                    resizer.interrupt();
                }
                return console.waitFor(Duration.ofSeconds(10)).orElse(ExitCodes.FAILED);
            } finally {
                unraw.run();
            }
        }
    }

    /** Copies until end of input; closes the target at the end if asked (end of the user's input ends the shell's). */
    private static void pump(InputStream in, OutputStream out, boolean closeAtEnd) {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            if (closeAtEnd) {
                out.close();
            }
        } catch (IOException e) {
            // the session ended
        }
    }

    /** Passes window size changes on. */
    private void follow(Console console, int[] size) {
        Terminal.followSize(size, io::size, () -> !Thread.currentThread().isInterrupted(), now -> console.resize(now[0], now[1]));
    }
}
