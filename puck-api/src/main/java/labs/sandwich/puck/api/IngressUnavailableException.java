package labs.sandwich.puck.api;

/**
 * The ingress an exposure needs cannot publish it here now: for a tailnet or public URL,
 * tailscaled is not running, not logged in, refuses Puck, or the tailnet does not allow what
 * was asked (Funnel not enabled, no Funnel port free). Nothing was published; the message says
 * what to do, and retrying after that works.
 */
public final class IngressUnavailableException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-INGRESS-001";

    private final String ingress;

    /**
     * @param ingress the ingress's name, e.g. {@code tailscale}
     * @param problem what is wrong, as a sentence
     * @param remedy  what to do
     */
    public IngressUnavailableException(String ingress, String problem, String remedy) {
        super(CODE, "The " + ingress + " ingress cannot publish: " + problem, remedy, null, null);
        this.ingress = ingress;
    }

    /** @return the ingress's name */
    public String ingress() {
        return ingress;
    }
}
