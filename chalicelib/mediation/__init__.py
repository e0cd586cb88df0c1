"""人民调解 (people's mediation): case register, lawful lifecycle, agreements and the three-level filter."""
