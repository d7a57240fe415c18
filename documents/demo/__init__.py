"""Demo content written for this project and rendered into real files."""
