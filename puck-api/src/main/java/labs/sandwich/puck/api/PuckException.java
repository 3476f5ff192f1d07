package labs.sandwich.puck.api;

import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The root of every error Puck throws. Unchecked, so blocking calls read well in jshell and
 * tests; the subclasses are the cases a caller can act on.
 *
 * <p>Each exception carries a stable {@link #code()} (for example {@code PUCK-SPRITE-001})
 * that names an entry in {@code docs/errors.md}, the {@link #sprite()} it concerns if any,
 * and a {@link #remedy()}: what to do about it. {@link #getMessage()} includes both, so a
 * logged exception already tells the reader the fix.
 */
public abstract class PuckException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String problem;
    private final @Nullable String remedy;
    private final @Nullable String sprite;

    /**
     * @param code    stable identifier, {@code PUCK-<AREA>-<NNN>}
     * @param problem what went wrong, as one sentence
     * @param remedy  what the caller should do, or {@code null} when there is nothing to do
     * @param sprite  the sprite concerned, or {@code null}
     * @param cause   the underlying failure, or {@code null}
     */
    protected PuckException(
            String code, String problem, @Nullable String remedy, @Nullable String sprite, @Nullable Throwable cause) {
        super(problem, cause);
        this.code = code;
        this.problem = problem;
        this.remedy = remedy;
        this.sprite = sprite;
    }

    /** @return the stable error code, e.g. {@code PUCK-SPRITE-001}; it names a section of {@code docs/errors.md} */
    public String code() {
        return code;
    }

    /** @return what went wrong, without the remedy or the code */
    public String problem() {
        return problem;
    }

    /** @return what to do about it, if there is something to do */
    public Optional<String> remedy() {
        return Optional.ofNullable(remedy);
    }

    /** @return the name of the sprite this error concerns, if any */
    public Optional<String> sprite() {
        return Optional.ofNullable(sprite);
    }

    /** @return the anchor of this error's entry in {@code docs/errors.md}, e.g. {@code docs/errors.md#puck-sprite-001} */
    public String docs() {
        return "docs/errors.md#" + code.toLowerCase(Locale.ROOT);
    }

    /** @return the problem, then the remedy, then the code, on one line */
    @Override
    public String getMessage() {
        return problem + (remedy == null ? "" : " Fix: " + remedy) + " [" + code + "]";
    }
}
