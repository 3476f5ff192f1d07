package labs.sandwich.puck.network.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Caddy's admin API over its unix socket: one HTTP/1.1 request per connection
 * ({@code Connection: close}), JSON in and out. The JDK's HTTP client cannot speak AF_UNIX, and
 * this is the only thing Puck asks Caddy, so a small client does.
 */
public final class CaddyAdmin {
    private final Path socket;

    /** @param socket the admin socket */
    public CaddyAdmin(Path socket) {
        this.socket = socket;
    }

    /**
     * The answer.
     *
     * @param status the HTTP status
     * @param body   the body
     */
    public record Response(int status, String body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** @return the socket */
    public Path socket() {
        return socket;
    }

    /**
     * @param method e.g. {@code PATCH}
     * @param path   e.g. {@code /id/puck-web-8080-http}
     * @param json   the body, or null
     * @return the answer
     * @throws IOException if the socket does not answer
     */
    public Response call(String method, String path, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: caddy-admin\r\nConnection: close\r\n"
                + (json == null ? "" : "Content-Type: application/json\r\n") + "Content-Length: " + body.length + "\r\n\r\n";
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.allocate(head.length() + body.length);
            out.put(head.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            Channels.newInputStream(ch).transferTo(all);
            return parse(all.toString(StandardCharsets.ISO_8859_1)); // one char per byte: chunk sizes count bytes
        }
    }

    /** Parses a closed-connection HTTP/1.1 response, with a Content-Length or chunked body. */
    static Response parse(String raw) throws IOException {
        int end = raw.indexOf("\r\n\r\n");
        if (!raw.startsWith("HTTP/1.") || end < 0) {
            throw new IOException("not an HTTP response from Caddy's admin socket: " + raw.substring(0, Math.min(80, raw.length())));
        }
        String[] lines = raw.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        boolean chunked = false;
        for (String line : lines) {
            String l = line.toLowerCase(Locale.ROOT);
            if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                chunked = true;
            }
        }
        String body = raw.substring(end + 4);
        if (chunked) {
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (true) {
                int eol = body.indexOf("\r\n", i);
                int size = Integer.parseInt(body.substring(i, eol).split(";")[0].strip(), 16);
                if (size == 0) {
                    break;
                }
                b.append(body, eol + 2, eol + 2 + size);
                i = eol + 2 + size + 2;
            }
            body = b.toString();
        }
        return new Response(status, new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
