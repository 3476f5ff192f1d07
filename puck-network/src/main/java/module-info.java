/**
 * Puck's ingresses. Provides {@code caddy}: sprites' ports at {@code <name>.localhost} over HTTP
 * and HTTPS, through a Caddy process Puck starts and configures only through its admin API on a
 * unix socket (mode 0600); and {@code tailscale}: tailnet and Funnel URLs through tailscaled's
 * LocalAPI, served by the same Caddy. Exports only the providers' package.
 */
module labs.sandwich.puck.network {
    requires transitive labs.sandwich.puck.api;
    requires com.fasterxml.jackson.databind;
    requires static org.jspecify;

    exports labs.sandwich.puck.network;

    provides labs.sandwich.puck.spi.IngressProvider with labs.sandwich.puck.network.CaddyIngressProvider,
            labs.sandwich.puck.network.TailscaleIngressProvider;
}
