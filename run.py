"""Development server entry point: `python run.py` serves http://127.0.0.1:5000."""

from portal import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
