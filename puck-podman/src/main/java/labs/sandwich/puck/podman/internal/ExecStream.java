package labs.sandwich.puck.podman.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Starts a libpod exec session and carries its streams: the one call the generated client
 * cannot make, because Podman answers by hijacking the connection (HTTP 101, then raw
 * bidirectional bytes) and stdin must be written while output is read. Apache HttpClient's
 * classic API cannot write after the response starts, so this speaks the few lines of
 * HTTP/1.1 itself, on a JDK unix-domain {@link SocketChannel} to the same socket.
 *
 * <p>Output arrives multiplexed: frames of an 8-byte header (stream 1 = stdout, 2 = stderr;
 * bytes 4–7 = big-endian length) and the payload (the attach stream format).
 */
public final class ExecStream implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private ExecStream(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Starts exec session {@code id} (created with the generated client) and reads the
     * response headers.
     *
     * @param socket Podman's socket
     * @param id     the exec session id
     * @return the open stream
     * @throws IOException if the connection fails or Podman refuses (the message is Podman's)
     */
    public static ExecStream start(Path socket, String id) throws IOException {
        return start(socket, id, false, 0, 0);
    }

    /**
     * Starts exec session {@code id}, with a terminal if {@code tty}: then the stream is raw
     * bytes both ways (no frames), as a terminal is.
     *
     * @param socket  Podman's socket
     * @param id      the exec session id (created with {@code Tty} set the same way)
     * @param tty     whether the session has a terminal
     * @param columns initial terminal width, if {@code tty}
     * @param rows    initial terminal height, if {@code tty}
     * @return the open stream
     * @throws IOException if the connection fails or Podman refuses
     */
    public static ExecStream start(Path socket, String id, boolean tty, int columns, int rows) throws IOException {
        SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        try {
            byte[] body = (tty ? "{\"Detach\":false,\"Tty\":true,\"h\":" + rows + ",\"w\":" + columns + "}"
                    : "{\"Detach\":false,\"Tty\":false}").getBytes(StandardCharsets.US_ASCII);
            String head = "POST /v5.0.0/libpod/exec/" + id + "/start HTTP/1.1\r\n"
                    + "Host: d\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n"
                    + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
            writeAll(ch, head.getBytes(StandardCharsets.US_ASCII));
            writeAll(ch, body);
            ExecStream s = new ExecStream(ch);
            s.readHeaders();
            return s;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Sends standard input, then end-of-file (a half-close), so the command sees its input end.
     *
     * @param input the bytes
     * @throws IOException if the connection fails
     */
    public void sendStdin(byte[] input) throws IOException {
        writeAll(channel, input);
        channel.shutdownOutput();
    }

    /**
     * Reads frames until Podman closes the stream (the command ended). Blocks; closing this
     * stream from another thread ends the wait with an exception.
     *
     * @throws IOException if the connection fails or a frame is malformed
     */
    public void readToEnd() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(8);
        while (readFully(header)) {
            header.flip();
            int stream = header.get(0);
            int length = header.getInt(4);
            if (length < 0) {
                throw new IOException("malformed exec stream frame (length " + length + ")");
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            if (!readFully(payload)) {
                throw new IOException("exec stream ended inside a frame");
            }
            (stream == 2 ? stderr : stdout).write(payload.array(), 0, length);
            header.clear();
        }
    }

    /** @return the raw connection, for a terminal session: what is written is typed, what is read is the screen */
    SocketChannel channel() {
        return channel;
    }

    /** @return what the command wrote to standard output so far */
    public byte[] stdout() {
        return stdout.toByteArray();
    }

    /** @return what the command wrote to standard error so far */
    public byte[] stderr() {
        return stderr.toByteArray();
    }

    /** Closes the connection; a blocked {@link #readToEnd()} fails at once. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void readHeaders() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!endsWithBlankLine(head)) {
            one.clear();
            if (channel.read(one) < 0) {
                throw new IOException("Podman closed the connection before answering the exec start");
            }
            head.write(one.get(0));
            if (head.size() > 64 * 1024) {
                throw new IOException("Podman's answer to the exec start has oversized headers");
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String status = text.substring(0, text.indexOf("\r\n"));
        String[] parts = status.split(" ", 3);
        int code = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        if (code != 101 && code != 200) {
            throw new IOException("Podman refused to start the exec session: " + status + " " + readError(text));
        }
    }

    /** Reads a small error body (Content-Length) after a refusal, for the message. */
    private String readError(String headers) throws IOException {
        int at = headers.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
        if (at < 0) {
            return "";
        }
        int len = Integer.parseInt(headers.substring(at + 15, headers.indexOf("\r\n", at)).strip());
        ByteBuffer body = ByteBuffer.allocate(Math.min(len, 64 * 1024));
        readFully(body);
        return new String(body.array(), 0, body.position(), StandardCharsets.UTF_8).strip();
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream b) {
        byte[] a = b.toByteArray();
        int n = a.length;
        return n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n';
    }

    /** @return false on a clean end of stream before any byte of {@code buf} */
    private boolean readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                if (buf.position() == 0) {
                    return false;
                }
                throw new IOException("exec stream ended inside a frame");
            }
        }
        return true;
    }

    private static void writeAll(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
