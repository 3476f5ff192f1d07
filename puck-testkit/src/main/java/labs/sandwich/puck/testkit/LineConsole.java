package labs.sandwich.puck.testkit;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.PuckException;

/**
 * The in-memory runtime's console: a line interpreter, not a PTY. When the program asked for
 * is a shell ({@code bash}, {@code sh}), each typed line is echoed, split on blanks and run as
 * a built-in command with empty standard input, after a {@code $ } prompt; {@code exit [N]}
 * ends the session and {@code stty size} prints the size last set. Any other program runs once.
 * The session runs on its own virtual thread; closing the console hangs it up (status 129,
 * as after SIGHUP).
 */
final class LineConsole implements Console {
    /** The exit status of a session hung up by {@link #close()}. */
    static final int HANGUP = 129;

    private final InMemorySpriteRuntime runtime;
    private final String sprite;
    private final Pipe typed = new Pipe();
    private final Pipe shown = new Pipe();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread session;
    private volatile ConsoleRequest terminal;
    private volatile boolean hungUp;
    private volatile int status;

    LineConsole(InMemorySpriteRuntime runtime, String sprite, ConsoleRequest request) {
        this.runtime = runtime;
        this.sprite = sprite;
        this.terminal = request;
        this.session = Thread.ofVirtual().name("in-memory-console-" + sprite).start(this::session);
    }

    private void session() {
        int result = HANGUP;
        OutputStream out = shown.sink();
        try {
            List<String> argv = terminal.argv();
            result = List.of("bash", "sh").contains(Builtins.program(argv)) ? interpret(out) : runLine(argv, out);
        } catch (IOException | OperationInterruptedException e) {
            // hung up while reading a line or running a command
        } finally {
            // The status is known before the output ends, so a reader that saw the end can wait for it.
            status = hungUp ? HANGUP : result;
            ended.countDown();
            shown.close();
        }
    }

    private int interpret(OutputStream out) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(typed.source(), StandardCharsets.UTF_8));
        int last = 0;
        print(out, "$ ");
        for (String line; (line = in.readLine()) != null; ) {
            print(out, line + "\n");
            List<String> argv = Arrays.stream(line.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
            if (!argv.isEmpty() && argv.getFirst().equals("exit")) {
                return argv.size() == 1 ? last : exitStatus(argv.get(1), out);
            }
            if (!argv.isEmpty()) {
                last = runLine(argv, out);
            }
            print(out, "$ ");
        }
        return last; // end of input, as after Ctrl-D
    }

    private int runLine(List<String> argv, OutputStream out) throws IOException {
        if (argv.equals(List.of("stty", "size"))) {
            print(out, terminal.rows() + " " + terminal.columns() + "\n");
            return 0;
        }
        try {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int result = runtime.run(sprite, ExecRequest.of(argv), output, output);
            output.writeTo(out);
            return result;
        } catch (OperationInterruptedException e) {
            throw e;
        } catch (PuckException e) {
            print(out, Builtins.program(argv) + ": " + e.problem() + "\n");
            return 126;
        }
    }

    private static int exitStatus(String arg, OutputStream out) throws IOException {
        try {
            return Integer.parseInt(arg) & 0xff;
        } catch (NumberFormatException e) {
            print(out, "exit: " + arg + ": numeric argument required\n");
            return 2;
        }
    }

    private static void print(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public OutputStream input() {
        return typed.sink();
    }

    @Override
    public InputStream output() {
        return shown.source();
    }

    /** Records the size, as {@code stty size} then shows; validated as {@link ConsoleRequest} does. */
    @Override
    public void resize(int columns, int rows) {
        terminal = terminal.withSize(columns, rows);
    }

    @Override
    public OptionalInt waitFor(Duration timeout) {
        try {
            return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS) ? OptionalInt.of(status) : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(sprite, "console", e);
        }
    }

    @Override
    public void close() {
        if (ended.getCount() > 0) {
            hungUp = true;
            typed.close();
            session.interrupt();
        }
    }
}
