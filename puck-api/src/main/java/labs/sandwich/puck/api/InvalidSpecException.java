package labs.sandwich.puck.api;

/**
 * A sprite specification, name, label or argument is invalid: the value never reached a
 * runtime and nothing was changed. The message names the field, the value and the rule.
 */
public final class InvalidSpecException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-SPEC-001";

    private final String field;

    /**
     * @param field  the field or argument that is wrong, e.g. {@code name}
     * @param problem what is wrong with it
     * @param remedy  the rule to follow instead
     */
    public InvalidSpecException(String field, String problem, String remedy) {
        super(CODE, problem, remedy, null, null);
        this.field = field;
    }

    /** @return the field or argument that is wrong */
    public String field() {
        return field;
    }
}
