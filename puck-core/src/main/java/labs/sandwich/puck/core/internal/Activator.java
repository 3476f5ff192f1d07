package labs.sandwich.puck.core.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.Names;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests for sleeping sprites. The ingress routes them here, and the route names the
 * sprite: the Caddy ingress's by the Host it matched ({@code <name>.localhost},
 * {@code <port>-<name>.localhost}; it removes a client's {@value Route#WAKE_HEADER}), an ingress
 * whose names say nothing by setting that header. The activator holds the connection, wakes the sprite
 * (single-flight, through the engine), connects to it and then passes the bytes through both
 * ways, so GET, POST bodies, websockets and server-sent events all work on the first request.
 * The first request is forwarded with {@code Connection: close} (unless it upgrades), so the
 * proxy's next requests take the direct route the wake switched to: Java stays out of awake
 * traffic. A wake that fails is answered with a 503 page that says why; never a hang.
 */
public final class Activator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Activator.class);
    private static final int MAX_HEAD = 64 * 1024;
    private static final String LOCALHOST = ".localhost";
    private static final java.util.regex.Pattern NUMBERED = java.util.regex.Pattern.compile("(\\d{1,5})-(.+)"); // <port>-<name>
    private static final Duration CONNECT_PATIENCE = Duration.ofSeconds(30);

    private final Engine engine;
    private final ServerSocket server;
    private final Thread acceptor;

    /**
     * Listens on the loopback address.
     *
     * @param engine the engine
     * @param port   the port, 0 for any
     * @throws IOException if it cannot listen there
     */
    public Activator(Engine engine, int port) throws IOException {
        this.engine = engine;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        this.acceptor = Thread.ofPlatform().daemon().name("puck-activator").start(this::accept);
    }

    /** @return where it listens */
    public Endpoint endpoint() {
        return new Endpoint(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().name("puck-activator-conn").start(() -> serve(client));
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("Activator: accept failed", e);
                }
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            client.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            if (head == null) {
                return;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            Optional<String> host = header(text, "Host").map(h -> h.toLowerCase(Locale.ROOT));
            Optional<Target> target = wakeHeader(text).or(() -> host.flatMap(h -> fromHost(h, sprite -> engine.store().exposures(sprite))));
            if (target.isEmpty()) {
                if (host.filter(h -> withoutPort(h).endsWith(LOCALHOST)).isPresent()) {
                    answer(client, 404, "Not found", "No sprite is exposed at " + host.get() + ". List them with `puck list`.");
                } else {
                    answer(client, 400, "Bad request", "This address serves Puck's sleeping sprites through its ingress only.");
                }
                return;
            }
            String sprite = target.get().sprite();
            int port = target.get().port();
            if (engine.store().exposures(sprite).stream().noneMatch(e -> e.port() == port)) {
                answer(client, 404, "Not found", "No sprite '" + sprite + "' exposes port " + port + ".");
                return;
            }
            Socket upstream;
            try {
                engine.wake(sprite, engine.defaultTimeout(), "activator: a request came for port " + port);
                upstream = connect(engine.runtime().endpoint(sprite, port));
            } catch (PuckException e) {
                answer(client, 503, "Sprite " + sprite + " could not wake", e.getMessage());
                return;
            } catch (IOException e) {
                answer(client, 503, "Sprite " + sprite + " is awake but does not answer on port " + port,
                        e.getMessage() + ". Is a server listening on port " + port + " in it?");
                return;
            }
            try (upstream) {
                client.setSoTimeout(0);
                OutputStream up = upstream.getOutputStream();
                up.write(forwarded(text).getBytes(StandardCharsets.ISO_8859_1));
                up.flush();
                Thread back = Thread.ofVirtual().start(() -> pipe(upstream, client));
                pipe(client, upstream);
                back.join();
            }
        } catch (IOException e) {
            LOG.debug("Activator: connection ended: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the request head, up to and including the blank line; null if the client left first */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (head.size() < MAX_HEAD) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
        }
        throw new IOException("request head longer than " + MAX_HEAD + " bytes");
    }

    /** Which sprite and port a request is for. */
    record Target(String sprite, int port) {}

    /** @return the value of a request header, the first if repeated */
    static Optional<String> header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase(name)) {
                return Optional.of(line.substring(colon + 1).strip());
            }
        }
        return Optional.empty();
    }

    /** @return sprite and port from the ingress's header, validated */
    static Optional<Target> wakeHeader(String head) {
        return header(head, Route.WAKE_HEADER).map(v -> v.split(":")).filter(v -> v.length == 2 && validName(v[0]) && v[1].matches("\\d{1,5}")
                && Integer.parseInt(v[1]) <= 65535).map(v -> new Target(v[0], Integer.parseInt(v[1])));
    }

    /**
     * The sprite and port of a name the Caddy ingress routes: {@code <port>-<name>.localhost},
     * or {@code <name>.localhost} for the sprite's primary port. Caddy matched the request's
     * Host to send it here, so the Host names the route.
     *
     * @param host      the Host header, lower case, perhaps with a port
     * @param exposures a sprite's exposures
     * @return the route's sprite and port, if a locally exposed port has that name
     */
    static Optional<Target> fromHost(String host, java.util.function.Function<String, List<StateStore.Exposed>> exposures) {
        String name = withoutPort(host);
        if (!name.endsWith(LOCALHOST) || name.length() == LOCALHOST.length()) {
            return Optional.empty();
        }
        String label = name.substring(0, name.length() - LOCALHOST.length());
        var numbered = NUMBERED.matcher(label);
        if (numbered.matches() && validName(numbered.group(2))) {
            int port = Integer.parseInt(numbered.group(1));
            if (exposures.apply(numbered.group(2)).stream().anyMatch(e -> e.port() == port && e.mode() == ExposureMode.LOCAL)) {
                return Optional.of(new Target(numbered.group(2), port));
            }
        }
        return validName(label) ? exposures.apply(label).stream().filter(e -> e.primary() && e.mode() == ExposureMode.LOCAL).findFirst()
                .map(e -> new Target(label, e.port())) : Optional.empty();
    }

    private static String withoutPort(String host) {
        return host.replaceFirst(":\\d+$", "");
    }

    private static boolean validName(String name) {
        try {
            Names.requireSpriteName(name);
            return true;
        } catch (PuckException e) {
            return false;
        }
    }

    /** The head as the sprite gets it: without Puck's header, and closing after the response unless it upgrades. */
    static String forwarded(String head) {
        StringBuilder b = new StringBuilder();
        boolean upgrade = head.toLowerCase(Locale.ROOT).contains("\r\nupgrade:");
        String[] lines = head.substring(0, head.length() - 4).split("\r\n");
        for (String line : lines) {
            String name = line.contains(":") ? line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT) : "";
            if (name.equals(Route.WAKE_HEADER.toLowerCase(Locale.ROOT)) || (!upgrade && (name.equals("connection") || name.equals("keep-alive")))) {
                continue;
            }
            b.append(line).append("\r\n");
        }
        if (!upgrade) {
            b.append("Connection: close\r\n");
        }
        return b.append("\r\n").toString();
    }

    private static Socket connect(Endpoint target) throws IOException {
        return connect(target, CONNECT_PATIENCE);
    }

    /** Connects, retrying while the woken sprite's server comes up, for at most {@code patience} (one try if zero). */
    static Socket connect(Endpoint target, Duration patience) throws IOException {
        long deadline = System.nanoTime() + patience.toNanos();
        IOException last;
        long pause = 2; // a restored sprite's network can lag its processes by a few milliseconds: retry soon, then back off
        do {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(target.host(), target.port()), 2000);
                return s;
            } catch (IOException e) {
                s.close();
                last = e;
            }
            try {
                Thread.sleep(pause);
                pause = Math.min(50, pause * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        } while (System.nanoTime() < deadline);
        throw last;
    }

    private static void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException e) {
            // one side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private static void answer(Socket client, int status, String title, String detail) throws IOException {
        String body = "<!doctype html><title>" + esc(title) + "</title><h1>" + esc(title) + "</h1><p>" + esc(detail) + "</p>\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + (status == 503 ? "Service Unavailable" : status == 404 ? "Not Found" : "Bad Request")
                + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        acceptor.interrupt();
    }
}
