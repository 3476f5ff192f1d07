package labs.sandwich.puck.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import labs.sandwich.puck.network.internal.CaddyIngress;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.IngressProvider;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;

/**
 * The {@code caddy} ingress: sprites' ports at {@code http://<name>.localhost} and
 * {@code https://<name>.localhost} (Caddy's internal CA), private to this machine.
 *
 * <p>Settings ({@code Puck.builder().config(...)}, {@code -Dpuck.<key>} or {@code PUCK_<KEY>}):
 * <ul>
 *   <li>{@code caddy.binary}: the executable (default: {@code caddy} on the PATH)</li>
 *   <li>{@code caddy.dir}: its admin socket, config, certificates and log (default: the data directory's {@code caddy/})</li>
 *   <li>{@code caddy.http-port}, {@code caddy.https-port}: default 80 and 443</li>
 *   <li>{@code caddy.bind}: the address to listen on (default {@code 127.0.0.1}: nothing listens beyond this machine unless asked)</li>
 *   <li>{@code caddy.switch}: how a route is switched between a sprite and the activator without changing Caddy's config:
 *       {@code kernel} (an nftables map; needs root), {@code file} (a file Caddy reads per request), or {@code auto}
 *       (the default: {@code kernel} where this process may change nftables)</li>
 *   <li>{@code caddy.switch-address}: the address on {@code lo} Caddy dials sprites from under the kernel switch (default {@code 198.19.0.1})</li>
 * </ul>
 * Needs Caddy 2.7 or newer: 2.6 closes every proxied websocket on each configuration change.
 */
public final class CaddyIngressProvider implements IngressProvider {
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)");

    /** For ServiceLoader. */
    public CaddyIngressProvider() {}

    @Override
    public String name() {
        return "caddy";
    }

    @Override
    public Probe probe(RuntimeContext context) {
        Optional<Path> binary = binary(context);
        if (binary.isEmpty()) {
            return Probe.unavailable("Caddy is not installed (no caddy on the PATH)", "sudo scripts/host-setup.sh installs Caddy 2.11, or set PUCK_CADDY_BINARY");
        }
        try {
            Process p = new ProcessBuilder(binary.get().toString(), "version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            Matcher m = VERSION.matcher(out);
            if (!m.find()) {
                return Probe.unavailable("`caddy version` said '" + out + "'", "Install Caddy 2.7 or newer (sudo scripts/host-setup.sh)");
            }
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            if (major < 2 || (major == 2 && minor < 7)) {
                return Probe.unavailable("Caddy " + m.group() + " closes proxied websockets on every configuration change",
                        "Install Caddy 2.7 or newer (sudo scripts/host-setup.sh brings 2.11 from Debian sid)");
            }
            return Probe.available("Caddy " + m.group() + " at " + binary.get());
        } catch (IOException e) {
            return Probe.unavailable("cannot run " + binary.get() + ": " + e.getMessage(), "Reinstall Caddy (sudo scripts/host-setup.sh)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Probe.unavailable("interrupted while probing Caddy", "Retry");
        }
    }

    @Override
    public Ingress create(RuntimeContext context) {
        CaddyIngress ingress = caddy(context);
        ingress.revive();
        return ingress;
    }

    /** Puck's Caddy as the settings describe it; every ingress that needs Caddy shares that one process through its socket. */
    static CaddyIngress caddy(RuntimeContext context) {
        Path dir = context.config("caddy.dir").map(Path::of).orElse(context.dataDirectory().resolve("caddy"));
        return new CaddyIngress(binary(context).orElse(Path.of("caddy")), dir, context.config("caddy.bind").orElse("127.0.0.1"),
                port(context, "caddy.http-port", 80), port(context, "caddy.https-port", 443), context.config("caddy.switch").orElse("auto"),
                context.config("caddy.switch-address").orElse(CaddyIngress.DEFAULT_SWITCH_ADDRESS));
    }

    private static int port(RuntimeContext context, String key, int fallback) {
        return context.config(key).map(Integer::parseInt).orElse(fallback);
    }

    private static Optional<Path> binary(RuntimeContext context) {
        Optional<String> configured = context.config("caddy.binary");
        if (configured.isPresent()) {
            return Optional.of(Path.of(configured.get())).filter(Files::isExecutable);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, "caddy");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
