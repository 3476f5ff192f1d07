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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 over a unix socket, one request per connection ({@code Connection: close}): what
 * Caddy's admin API and tailscaled's LocalAPI both speak. The JDK's HTTP client cannot use
 * AF_UNIX, and these calls are few and small, so a small client does.
 */
public final class UnixHttp {
    private final Path socket;
    private final String host;

    /**
     * @param socket the socket
     * @param host   the Host header the server expects (Caddy 2.11 refuses none; tailscaled wants {@code local-tailscaled.sock})
     */
    public UnixHttp(Path socket, String host) {
        this.socket = socket;
        this.host = host;
    }

    /**
     * An answer.
     *
     * @param status  the HTTP status
     * @param headers its headers, names in lower case
     * @param body    the body, decoded as UTF-8
     */
    public record Response(int status, Map<String, String> headers, String body) {
        /** @return whether the status is 2xx */
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** @param name a header name, any case @return its value */
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /** @return the socket */
    public Path socket() {
        return socket;
    }

    /**
     * @param method  e.g. {@code POST}
     * @param path    e.g. {@code /localapi/v0/serve-config}
     * @param headers extra request headers (e.g. {@code If-Match})
     * @param json    a JSON body, or null
     * @return the answer
     * @throws IOException if nobody answers on the socket (it is missing, or its server died)
     */
    public Response call(String method, String path, Map<String, String> headers, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(host)
                .append("\r\nConnection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        if (json != null) {
            head.append("Content-Type: application/json\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer out = ByteBuffer.allocate(h.length + body.length);
            out.put(h).put(body).flip();
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
            throw new IOException("not an HTTP response: " + raw.substring(0, Math.min(80, raw.length())));
        }
        String[] lines = raw.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        String body = raw.substring(end + 4);
        if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
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
        return new Response(status, Map.copyOf(headers), new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
