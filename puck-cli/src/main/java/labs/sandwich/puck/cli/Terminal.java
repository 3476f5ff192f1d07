package labs.sandwich.puck.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the process's standard streams are connected to, and the terminal's modes. */
final class Terminal {
    private Terminal() {}

    /** @param fd 0, 1 or 2 @return whether it is a terminal: a pts or tty device, not a pipe or file */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** @return the terminal's columns and rows, if stdin is one */
    static Optional<int[]> size() {
        String out = stty("size").orElse("");
        String[] parts = out.strip().split("\\s+");
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            int columns = Integer.parseInt(parts[1]);
            int rows = Integer.parseInt(parts[0]);
            // A pty nobody sized (e.g. under script(1) fed by a pipe) says 0 0.
            return columns > 0 && rows > 0 ? Optional.of(new int[] {columns, rows}) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** @return the current settings, to restore later */
    static Optional<String> save() {
        return stty("-g").map(String::strip);
    }

    /** Raw mode: keys go straight to the sprite, which echoes them. */
    static void raw() {
        stty("raw", "-echo");
    }

    static void restore(String settings) {
        stty(settings);
    }

    /** Runs stty on the inherited stdin, which is the terminal. */
    private static Optional<String> stty(String... args) {
        try {
            List<String> command = new java.util.ArrayList<>(List.of("stty"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * Calls {@code changed} with each new window size, polled every 500 ms (SIGWINCH is not
     * visible to Java), while {@code going} says so and the thread is not interrupted.
     */
    static void followSize(int[] start, java.util.function.Supplier<Optional<int[]>> size, java.util.function.BooleanSupplier going,
            java.util.function.Consumer<int[]> changed) {
        int[] last = start;
        while (going.getAsBoolean()) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            int[] now = size.get().orElse(last);
            if (!java.util.Arrays.equals(now, last)) {
                changed.accept(now);
                last = now;
            }
        }
    }
}
