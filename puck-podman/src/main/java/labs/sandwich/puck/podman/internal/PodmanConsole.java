package labs.sandwich.puck.podman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.OptionalInt;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.model.InspectExecSession;

/**
 * An interactive terminal in a sprite: an exec session with a PTY, its hijacked connection
 * carrying raw keystrokes in and screen bytes out. Reads and writes may run on two threads
 * at once (the channel's are independent; {@code Channels} streams would serialize them).
 */
final class PodmanConsole implements labs.sandwich.puck.api.Console {
    private final PodmanClient client;
    private final String execId;
    private final ExecStream stream;
    private final SocketChannel channel;

    PodmanConsole(PodmanClient client, String execId, ExecStream stream) {
        this.client = client;
        this.execId = execId;
        this.stream = stream;
        this.channel = stream.channel();
    }

    @Override
    public OutputStream input() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                channel.shutdownOutput();
            }
        };
    }

    @Override
    public InputStream output() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return channel.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    @Override
    public void resize(int columns, int rows) {
        try {
            client.exec().execResize(execId, rows, columns);
        } catch (ApiException e) {
            throw new labs.sandwich.puck.api.BackendException(PodmanRuntime.NAME, null, e.getCode(), "resizing the console failed: " + client.message(e), null, e);
        }
    }

    @Override
    public OptionalInt waitFor(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                InspectExecSession s = client.exec().execInspect(execId);
                if (!Boolean.TRUE.equals(s.getRunning())) {
                    return OptionalInt.of(s.getExitCode() == null ? -1 : s.getExitCode());
                }
                if (System.nanoTime() > end) {
                    return OptionalInt.empty();
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(null, "console", e);
        } catch (ApiException e) {
            throw new labs.sandwich.puck.api.BackendException(PodmanRuntime.NAME, null, e.getCode(), "reading the console's status failed: " + client.message(e), null, e);
        }
    }

    @Override
    public void close() {
        try {
            stream.close();
        } catch (IOException ignored) {
            // the connection is gone either way
        }
    }
}
