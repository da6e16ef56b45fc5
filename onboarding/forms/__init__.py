"""Forms validate; services act. One module per concept; the API binds the same forms."""
