package labs.sandwich.puck.api;

/** Who can reach an exposed port. Private by default. */
public enum ExposureMode {
    /** Only this machine, e.g. {@code http://<name>.localhost}. */
    LOCAL("only this machine"),
    /** Devices on your tailnet, e.g. {@code https://<name>.<tailnet>.ts.net}. */
    TAILNET("devices on your tailnet"),
    /** Anyone on the internet (Tailscale Funnel). */
    PUBLIC("anyone on the internet");

    private final String audience;

    ExposureMode(String audience) {
        this.audience = audience;
    }

    /** @return who can reach a URL exposed this way, in words */
    public String audience() {
        return audience;
    }
}
