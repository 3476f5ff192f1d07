package labs.sandwich.puck.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.PuckException;

/**
 * The in-memory runtime's console: a line interpreter of its built-in commands, on a virtual
 * thread. Each line typed is split on blanks and run; {@code exit [N]} ends it. Prints a
 * {@code $ } prompt like a shell.
 */
final class LineConsole implements Console {
    private final PipedOutputStream input = new PipedOutputStream();
    private final PipedInputStream output = new PipedInputStream(64 * 1024);
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private volatile int columns = 80;
    private volatile int rows = 24;

    LineConsole(InMemorySpriteRuntime runtime, String sprite) {
        PipedInputStream typed;
        PipedOutputStream shown;
        try {
            typed = new PipedInputStream(input, 64 * 1024);
            shown = new PipedOutputStream(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().name("in-memory-console-" + sprite).start(() -> {
            int status = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(typed, StandardCharsets.UTF_8)); shown) {
                shown.write("$ ".getBytes(StandardCharsets.UTF_8));
                shown.flush();
                for (String line; (line = in.readLine()) != null; ) {
                    List<String> argv = Arrays.stream(line.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
                    if (!argv.isEmpty() && argv.getFirst().equals("exit")) {
                        status = argv.size() > 1 ? Integer.parseInt(argv.get(1)) : 0;
                        break;
                    }
                    if (!argv.isEmpty()) {
                        try {
                            status = runtime.run(sprite, ExecRequest.of(argv), new byte[0], shown, shown);
                        } catch (PuckException e) {
                            shown.write((e.problem() + "\n").getBytes(StandardCharsets.UTF_8));
                            status = 1;
                        }
                    }
                    shown.write("$ ".getBytes(StandardCharsets.UTF_8));
                    shown.flush();
                }
            } catch (IOException | RuntimeException e) {
                status = 255; // the other end went away
            } finally {
                exit.complete(status);
            }
        });
    }

    @Override
    public OutputStream input() {
        return input;
    }

    @Override
    public InputStream output() {
        return output;
    }

    @Override
    public void resize(int columns, int rows) {
        this.columns = columns;
        this.rows = rows;
    }

    /** @return the terminal size last set, as {@code columns x rows} */
    String size() {
        return columns + "x" + rows;
    }

    @Override
    public OptionalInt waitFor(Duration timeout) {
        try {
            return OptionalInt.of(exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(null, "console", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        try {
            input.close();
        } catch (IOException ignored) {
            // closing the typing end ends the interpreter; nothing else to release
        }
    }
}
