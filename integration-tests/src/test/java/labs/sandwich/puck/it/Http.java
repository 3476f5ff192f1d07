package labs.sandwich.puck.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 and websockets over plain sockets to 127.0.0.1 with any Host header: the JDK's client
 * will not send a chosen Host, and {@code *.localhost} need not resolve on a test machine.
 */
final class Http {
    private Http() {}

    record Response(int status, String body, Map<String, String> headers) {}

    static Response request(int port, String host, String method, String path, byte[] body, Map<String, String> headers) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(120_000);
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return parse(s.getInputStream().readAllBytes());
        }
    }

    static Response get(int port, String host, String path) throws IOException {
        return request(port, host, "GET", path, null, Map.of());
    }

    static Response parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no HTTP response: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        Map<String, String> headers = new java.util.HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).strip().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).strip());
        }
        String body = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (true) {
                int eol = body.indexOf("\r\n", i);
                int size = Integer.parseInt(body.substring(i, eol).strip(), 16);
                if (size == 0) {
                    break;
                }
                b.append(body, eol + 2, eol + 2 + size);
                i = eol + 2 + size + 2;
            }
            body = b.toString();
        }
        return new Response(Integer.parseInt(lines[0].split(" ")[1]), new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), headers);
    }

    /** A websocket client: one masked text frame out, one text frame back. */
    static final class WebSocket implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;

        WebSocket(int port, String host, String path, Map<String, String> headers) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(120_000);
            byte[] nonce = new byte[16];
            new SecureRandom().nextBytes(nonce);
            StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            in = socket.getInputStream();
            ByteArrayOutputStream resp = new ByteArrayOutputStream();
            while (!resp.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed during the handshake: " + resp);
                }
                resp.write(b);
            }
            if (!resp.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 101")) {
                throw new IOException("not upgraded: " + resp);
            }
        }

        String echo(String text) throws IOException {
            byte[] data = text.getBytes(StandardCharsets.UTF_8);
            byte[] mask = {1, 2, 3, 4};
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write(0x81);
            f.write(0x80 | data.length);
            f.write(mask);
            for (int i = 0; i < data.length; i++) {
                f.write(data[i] ^ mask[i % 4]);
            }
            socket.getOutputStream().write(f.toByteArray());
            int op = in.read();
            int len = in.read() & 0x7F;
            if (op < 0) {
                throw new IOException("websocket closed");
            }
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            }
            return new String(in.readNBytes(len), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
