"""The public pages a buyer sees at a store's share link."""
