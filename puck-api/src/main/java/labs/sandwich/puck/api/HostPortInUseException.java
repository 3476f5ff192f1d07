package labs.sandwich.puck.api;

/**
 * A sprite's port cannot be exposed on the host port asked for, because something else listens
 * there already (another program, or another of Puck's exposures). Nothing was recorded.
 */
public final class HostPortInUseException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-NET-001";

    private final String address;
    private final int hostPort;

    /**
     * @param sprite   the sprite whose port was to be exposed
     * @param address  the host address, e.g. {@code 127.0.0.1}
     * @param hostPort the host port that is taken
     * @param holder   what holds it, as far as Puck knows (e.g. {@code another program})
     */
    public HostPortInUseException(String sprite, String address, int hostPort, String holder) {
        super(CODE, "Host port " + address + ":" + hostPort + " is already in use (" + holder + ").",
                "Pick another host port (or 0 for any free one), or stop what listens there (`ss -ltnp 'sport = :" + hostPort + "'` names it).",
                sprite, null);
        this.address = address;
        this.hostPort = hostPort;
    }

    /** @return the host address */
    public String address() {
        return address;
    }

    /** @return the host port that is taken */
    public int hostPort() {
        return hostPort;
    }
}
