package labs.sandwich.puck.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import labs.sandwich.puck.api.InvalidSpecException;

/** Parses the human forms of durations and sizes the options take. */
final class Parse {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]i?b?|b)?");

    private Parse() {}

    /** @param field the option @param text e.g. {@code 30s}, {@code 15m}, {@code 2h}, {@code 7d}, {@code 0}, or ISO {@code PT15M} */
    static Duration duration(String field, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofSeconds(n);
            };
        }
        try {
            return Duration.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new InvalidSpecException(field, "'" + text + "' is not a duration.", "Write it like 30s, 15m, 2h, 7d or 0 (never).");
        }
    }

    /** @param field the option @param text e.g. {@code 512m}, {@code 1g}, {@code 1073741824} */
    static long bytes(String field, String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidSpecException(field, "'" + text + "' is not a size.", "Write it like 512m, 2g or a number of bytes.");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).substring(0, 1);
        int shift = switch (unit) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        return n << shift;
    }
}
