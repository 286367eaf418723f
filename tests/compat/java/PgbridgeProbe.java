// pgjdbc against pgbridge (or a real PostgreSQL, for comparison): DatabaseMetaData, then one
// PreparedStatement run often enough for pgjdbc to switch to a named server-side statement and
// binary results. Prints one tab-separated fact per line; tests/compat/test_jdbc.py reads them.
// Usage: java PgbridgeProbe <jdbc url> <user> <password> <sslmode> <executions>
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.Properties;
import org.postgresql.PGResultSetMetaData;
import org.postgresql.PGStatement;

public class PgbridgeProbe {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        props.setProperty("sslmode", args[3]);
        try (Connection conn = DriverManager.getConnection(args[0], props)) {
            metadata(conn.getMetaData());
            if (Integer.parseInt(args[4]) > 0) {
                prepared(conn, Integer.parseInt(args[4]));
            }
        }
    }

    static void metadata(DatabaseMetaData md) throws Exception {
        System.out.println("product\t" + md.getDatabaseProductName() + "\t" + md.getDatabaseProductVersion()
                + "\t" + md.getDriverVersion());
        try (ResultSet rs = md.getSchemas()) {
            while (rs.next()) System.out.println("schema\t" + rs.getString("TABLE_SCHEM"));
        }
        try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                System.out.println("table\t" + rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME")
                        + "\t" + rs.getString("TABLE_TYPE"));
            }
        }
        try (ResultSet rs = md.getColumns(null, "public", "customers", "%")) {
            while (rs.next()) {
                System.out.println("column\t" + rs.getString("COLUMN_NAME") + "\t" + rs.getInt("DATA_TYPE") + "\t"
                        + rs.getString("TYPE_NAME") + "\t" + rs.getInt("ORDINAL_POSITION") + "\t"
                        + rs.getString("IS_NULLABLE"));
            }
        }
        try (ResultSet rs = md.getPrimaryKeys(null, "public", "customers")) {
            int keys = 0;
            while (rs.next()) keys++;
            System.out.println("primary_keys\t" + keys);
        }
        try (ResultSet rs = md.getTypeInfo()) {
            while (rs.next()) {
                System.out.println("type\t" + rs.getString("TYPE_NAME") + "\t" + rs.getInt("DATA_TYPE"));
            }
        }
    }

    static void prepared(Connection conn, int executions) throws Exception {
        String sql = "SELECT id, name, lifetime_value, created_at FROM shop.customers "
                + "WHERE id = ? AND country <> ? AND lifetime_value >= ? AND created_at < ? AND id < ?";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 1; i <= executions; i++) {
                ps.setLong(1, i);
                ps.setString(2, "XX");
                ps.setBigDecimal(3, new BigDecimal("0.5"));
                ps.setTimestamp(4, Timestamp.valueOf("2100-01-01 00:00:00"));
                ps.setInt(5, 1000);
                try (ResultSet rs = ps.executeQuery()) {
                    PGResultSetMetaData meta = rs.getMetaData().unwrap(PGResultSetMetaData.class);
                    StringBuilder formats = new StringBuilder();
                    for (int c = 1; c <= 4; c++) formats.append(meta.getFormat(c));
                    while (rs.next()) {
                        System.out.println("row\t" + i + "\t" + ps.unwrap(PGStatement.class).isUseServerPrepare()
                                + "\t" + formats + "\t" + rs.getLong(1) + "\t" + rs.getString(2) + "\t"
                                + rs.getBigDecimal(3) + "\t" + rs.getTimestamp(4).toInstant());
                    }
                }
            }
        }
    }
}
