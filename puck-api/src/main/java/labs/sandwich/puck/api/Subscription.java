package labs.sandwich.puck.api;

/** A registered event listener; closing it stops delivery. */
public interface Subscription extends AutoCloseable {
    /** Stops delivery to the listener; closing twice is harmless. */
    @Override
    void close();
}
