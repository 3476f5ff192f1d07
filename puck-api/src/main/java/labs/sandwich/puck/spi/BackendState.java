package labs.sandwich.puck.spi;

import java.util.Map;
import java.util.Optional;

/**
 * Durable key-value state a runtime keeps per sprite (or per snapshot id) in Puck's store,
 * shared by every process using that store. Each call is atomic. Thread-safe.
 */
public interface BackendState {
    /**
     * @param owner a sprite name or snapshot id
     * @param key   the key
     * @return the value, if set
     */
    Optional<String> get(String owner, String key);

    /**
     * @param owner a sprite name or snapshot id
     * @param key   the key
     * @param value the value
     */
    void put(String owner, String key, String value);

    /**
     * @param owner a sprite name or snapshot id
     * @param key   the key; absent keys are ignored
     */
    void remove(String owner, String key);

    /**
     * @param owner a sprite name or snapshot id
     * @return every key and value of that owner
     */
    Map<String, String> all(String owner);
}
