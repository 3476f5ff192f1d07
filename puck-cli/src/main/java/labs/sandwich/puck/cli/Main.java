package labs.sandwich.puck.cli;

/** The {@code puck} command's entry point. */
public final class Main {
    private Main() {}

    /** @param args the command line */
    public static void main(String[] args) {
        java.util.Optional<Integer> served = Handoff.run(args); // puckd runs it, if it serves this store
        if (served.isPresent()) {
            System.exit(served.get());
        }
        if (java.util.Arrays.asList(args).contains("--debug")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug"); // before the first logger exists
        }
        System.exit(PuckCommand.commandLine().execute(args));
    }
}
