package labs.sandwich.puck.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.IngressUnavailableException;
import labs.sandwich.puck.network.internal.LocalApi;
import labs.sandwich.puck.network.internal.TailscaleIngress;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.IngressProvider;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;

/**
 * The {@code tailscale} ingress: sprites' ports for devices on your tailnet
 * ({@code ExposureMode.TAILNET}, {@code https://<name>.<tailnet>.ts.net/} through a Tailscale
 * Service, or the node's own name and a port on an untagged node) and for anyone on the internet
 * through Funnel ({@code ExposureMode.PUBLIC}, the node's own name on a Funnel port). It edits
 * tailscaled's serve configuration through its LocalAPI and sends the traffic through Puck's Caddy,
 * so a request to a sleeping sprite wakes it. See docs/network.md.
 *
 * <p>The engine adds it beside the configured ingress (Caddy) for the audiences Caddy does not
 * serve; it is made even while tailscaled is down, refuses to publish with an
 * {@link IngressUnavailableException} saying why, and serves once tailscaled runs.
 *
 * <p>Settings ({@code Puck.builder().config(...)}, {@code -Dpuck.<key>} or {@code PUCK_<KEY>}):
 * <ul>
 *   <li>{@code tailscale.socket}: tailscaled's LocalAPI socket (default {@code /var/run/tailscale/tailscaled.sock})</li>
 *   <li>{@code tailscale.services}: {@code auto} (default: a tagged node publishes each sprite as a Tailscale
 *       Service, {@code svc:<name>}) or {@code off} (always the node's own name and a port)</li>
 *   <li>{@code tailscale.node-ports}: the ports for tailnet URLs on the node's own name (default {@code 9443-9542})</li>
 *   <li>the {@code caddy.*} settings of {@link CaddyIngressProvider}: the same Caddy serves both</li>
 * </ul>
 */
public final class TailscaleIngressProvider implements IngressProvider {
    /** Where tailscaled listens on Linux. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/tailscale/tailscaled.sock");

    /** For ServiceLoader. */
    public TailscaleIngressProvider() {}

    @Override
    public String name() {
        return "tailscale";
    }

    @Override
    public Set<ExposureMode> modes() {
        return Set.of(ExposureMode.TAILNET, ExposureMode.PUBLIC);
    }

    @Override
    public Probe probe(RuntimeContext context) {
        Path socket = socket(context);
        if (!Files.exists(socket)) {
            return Probe.unavailable("tailscaled is not running here (no socket " + socket + ")",
                    "Install Tailscale and run `sudo tailscale up`, or name its socket with PUCK_TAILSCALE_SOCKET.");
        }
        try {
            JsonNode status = new LocalApi(socket).status();
            String state = status.path("BackendState").asText();
            if (!state.equals("Running")) {
                return Probe.unavailable("tailscaled at " + socket + " is " + state, "Run `sudo tailscale up`.");
            }
            return Probe.available("tailscaled " + status.path("Version").asText("?") + " at " + socket + ", node "
                    + status.path("Self").path("DNSName").asText().replaceAll("\\.$", ""));
        } catch (IngressUnavailableException e) {
            return Probe.unavailable(e.problem(), e.remedy().orElse("Check `tailscale status`."));
        }
    }

    @Override
    public Ingress create(RuntimeContext context) {
        String services = context.config("tailscale.services").orElse("auto");
        if (!services.equals("auto") && !services.equals("off")) {
            throw new labs.sandwich.puck.api.InvalidSpecException("tailscale.services", "tailscale.services is '" + services + "'.", "Use auto or off.");
        }
        return new TailscaleIngress(new LocalApi(socket(context)), CaddyIngressProvider.caddy(context), context.state(),
                services.equals("auto"), nodePorts(context.config("tailscale.node-ports").orElse("9443-9542")));
    }

    static int[] nodePorts(String range) {
        String[] parts = range.strip().split("-");
        try {
            int from = Integer.parseInt(parts[0].strip());
            int to = parts.length == 2 ? Integer.parseInt(parts[1].strip()) : from;
            if (parts.length <= 2 && from >= 1 && to <= 65535 && from <= to) {
                return new int[] {from, to};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new labs.sandwich.puck.api.InvalidSpecException("tailscale.node-ports", "tailscale.node-ports is '" + range + "'.",
                "Give a port or a range of ports, FROM-TO within 1-65535, e.g. 9443-9542.");
    }

    private static Path socket(RuntimeContext context) {
        return context.config("tailscale.socket").map(Path::of).orElse(DEFAULT_SOCKET);
    }
}
