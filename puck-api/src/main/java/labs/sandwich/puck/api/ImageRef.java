package labs.sandwich.puck.api;

import java.util.regex.Pattern;

/**
 * A container image reference, such as {@code localhost/puck/base:bookworm} or
 * {@code docker.io/library/debian:12}. Validated against the image-reference grammar so
 * that nothing but a reference can reach a runtime.
 *
 * @param reference the reference, as a runtime understands it
 */
public record ImageRef(String reference) {
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String HOST = "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?/)?";
    private static final Pattern GRAMMAR = Pattern.compile(
            HOST + COMPONENT + "(?:/" + COMPONENT + ")*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?");

    // Declared after the patterns it is validated with.
    /** The sprite base image that Puck's set-up builds: Debian with tini, sshd, curl, git, vim, python3 and sudo. */
    public static final ImageRef DEFAULT = new ImageRef("localhost/puck/base:bookworm");

    /** Validates the reference. */
    public ImageRef {
        if (reference == null || reference.isEmpty() || reference.length() > 255 || !GRAMMAR.matcher(reference).matches()) {
            throw new InvalidSpecException("image", "Invalid image reference '" + Names.printable(reference) + "'.",
                    "Use a reference such as \"localhost/puck/base:bookworm\" or \"debian:12\" (lower-case repository, optional :tag or @sha256:digest).");
        }
    }

    /**
     * @param reference an image reference
     * @return the validated reference
     * @throws InvalidSpecException if it is not a valid reference
     */
    public static ImageRef of(String reference) {
        return new ImageRef(reference);
    }

    @Override
    public String toString() {
        return reference;
    }
}
