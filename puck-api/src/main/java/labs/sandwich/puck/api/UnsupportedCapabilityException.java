package labs.sandwich.puck.api;

/**
 * The runtime cannot do this (see {@code Puck.capabilities()}); Puck never turns an
 * unsupported operation into a silent no-op.
 */
public final class UnsupportedCapabilityException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-CAPABILITY-001";

    private final Capability capability;
    private final String runtime;

    /**
     * @param capability the capability that is missing
     * @param runtime    the runtime's name
     * @param reason     why the runtime lacks it here (e.g. "CRIU is not installed")
     */
    public UnsupportedCapabilityException(Capability capability, String runtime, String reason) {
        super(CODE, "The runtime '" + runtime + "' cannot " + capability.description() + ": " + reason,
                "Check puck.capabilities() before calling, or use a runtime that has " + capability + " (`puck doctor` explains what is missing).",
                null, null);
        this.capability = capability;
        this.runtime = runtime;
    }

    /** @return the missing capability */
    public Capability capability() {
        return capability;
    }

    /** @return the runtime's name */
    public String runtime() {
        return runtime;
    }
}
