package labs.sandwich.puck.api;

import java.util.regex.Pattern;

/**
 * The rules for every name Puck accepts from users, in one place. Names end up in container
 * names, host names ({@code <name>.localhost}), file names and command lines, so they are
 * checked strictly before they go anywhere.
 */
public final class Names {
    /** The longest sprite name: an RFC 1123 label. */
    public static final int MAX_SPRITE_NAME = 63;
    /** The longest snapshot label. */
    public static final int MAX_LABEL = 64;

    private static final Pattern SPRITE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern SNAPSHOT_LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?");

    private Names() {}

    /**
     * Checks a sprite name: an RFC 1123 label of 1 to 63 characters, lower-case letters,
     * digits and hyphens, starting and ending with a letter or digit.
     *
     * @param name the name to check
     * @return the name, unchanged
     * @throws InvalidSpecException if it breaks the rule; the message says which part
     */
    public static String requireSpriteName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidSpecException("name", "A sprite name is required but was empty.",
                    "Use 1 to 63 lower-case letters, digits or '-' (an RFC 1123 label), e.g. \"media-bot\".");
        }
        if (!SPRITE.matcher(name).matches()) {
            throw new InvalidSpecException("name", "Invalid sprite name '" + printable(name) + "': " + spriteNameProblem(name) + ".",
                    "Use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit (an RFC 1123 label), e.g. \"media-bot\".");
        }
        return name;
    }

    /**
     * Checks a snapshot label: 1 to 64 letters, digits, {@code .}, {@code _} or {@code -},
     * starting with a letter or digit, and never {@code ..}.
     *
     * @param label the label to check
     * @return the label, unchanged
     * @throws InvalidSpecException if it breaks the rule
     */
    public static String requireSnapshotLabel(String label) {
        if (label == null || !SNAPSHOT_LABEL.matcher(label).matches() || label.contains("..")) {
            throw new InvalidSpecException("label", "Invalid snapshot label '" + printable(label) + "'.",
                    "Use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. \"before-upgrade\".");
        }
        return label;
    }

    /**
     * Checks an environment variable name ({@code [A-Za-z_][A-Za-z0-9_]*}, at most 128 characters).
     *
     * @param name the variable name
     * @return the name, unchanged
     * @throws InvalidSpecException if it breaks the rule
     */
    public static String requireEnvName(String name) {
        if (name == null || !ENV.matcher(name).matches()) {
            throw new InvalidSpecException("env", "Invalid environment variable name '" + printable(name) + "'.",
                    "Use letters, digits and '_', not starting with a digit, e.g. \"JAVA_HOME\".");
        }
        return name;
    }

    /**
     * Checks a label key (letters, digits, {@code . _ / -}, 1 to 128 characters, starting and
     * ending with a letter or digit).
     *
     * @param key the label key
     * @return the key, unchanged
     * @throws InvalidSpecException if it breaks the rule
     */
    public static String requireLabelKey(String key) {
        if (key == null || !LABEL_KEY.matcher(key).matches()) {
            throw new InvalidSpecException("labels", "Invalid label key '" + printable(key) + "'.",
                    "Use 1 to 128 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit, e.g. \"team\".");
        }
        return key;
    }

    /**
     * Checks a free-text value (an environment or label value, an argument): it may hold
     * anything but a NUL character, which no process can receive.
     *
     * @param field what the value is, for the message
     * @param value the value
     * @return the value, unchanged
     * @throws InvalidSpecException if it is {@code null} or holds a NUL
     */
    public static String requireText(String field, String value) {
        if (value == null) {
            throw new InvalidSpecException(field, "A value for " + field + " is required but was null.", "Pass a string, possibly empty.");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidSpecException(field, "The value for " + field + " contains a NUL character.", "Remove the NUL character; no process can receive it.");
        }
        return value;
    }

    private static String spriteNameProblem(String name) {
        if (name.length() > MAX_SPRITE_NAME) {
            return "it has " + name.length() + " characters, more than " + MAX_SPRITE_NAME;
        }
        if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
            return "it contains upper-case letters";
        }
        if (name.startsWith("-") || name.endsWith("-")) {
            return "it starts or ends with '-'";
        }
        return "it contains characters other than a-z, 0-9 and '-'";
    }

    /** Makes a rejected value safe to print: control characters escaped, long values cut. */
    static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return s.length() > 80 ? b + "…" : b.toString();
    }
}
