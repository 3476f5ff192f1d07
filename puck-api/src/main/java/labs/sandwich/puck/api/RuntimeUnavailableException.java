package labs.sandwich.puck.api;

import java.util.List;
import java.util.stream.Collectors;

/**
 * No sprite runtime could be used. Lists every candidate that was considered, each with the
 * reason it is unavailable and how to fix that, so one message says everything.
 */
public final class RuntimeUnavailableException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-RUNTIME-001";

    private final transient List<Candidate> candidates;

    /**
     * One runtime that was considered and could not be used.
     *
     * @param runtime  the runtime's name, or the provider class when its name is unknown
     * @param priority its priority, or 0 when unknown
     * @param reason   why it cannot be used
     * @param remedy   what would make it usable
     */
    public record Candidate(String runtime, int priority, String reason, String remedy) {
        @Override
        public String toString() {
            return runtime + ": " + reason + " Fix: " + remedy;
        }
    }

    /**
     * @param problem    the summary, e.g. "No sprite runtime is available."
     * @param candidates every candidate considered; may be empty
     * @param remedy     the overall fix
     */
    public RuntimeUnavailableException(String problem, List<Candidate> candidates, String remedy) {
        super(CODE, problem + describe(candidates), remedy, null, null);
        this.candidates = List.copyOf(candidates);
    }

    /** @return every runtime that was considered, with its reason and remedy */
    public List<Candidate> candidates() {
        return candidates;
    }

    private static String describe(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            return " No runtime provider was found on the class path or module path.";
        }
        return " Candidates:" + candidates.stream().map(c -> "\n  - " + c).collect(Collectors.joining()) + "\n";
    }
}
